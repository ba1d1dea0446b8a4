// OpenAPI for the VM routes (docs/api.md "Virtual machines").
import { MAX_CREATE_BODY_BYTES } from '../vms/create-request';
import { VM_NAME_RULE } from '../vms/names';
import { POWER_COMMANDS, VM_OPERATIONS } from '../vms/operations';
import { SIZE_PRESETS } from '../vms/sizes';
import { VM_STATUSES } from '../vms/status';
import { type OpenApiFragment, problemResponse } from './types';

const nameParam = {
  name: 'name',
  in: 'path',
  required: true,
  description: `VM name: ${VM_NAME_RULE}`,
  schema: { type: 'string', pattern: '^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$' },
};

const vmRef = { $ref: '#/components/schemas/Vm' };

const accepted = (description: string) => ({
  description,
  headers: { Location: { description: 'The VM record to poll', schema: { type: 'string', format: 'uri' } } },
  content: { 'application/json': { schema: vmRef } },
});

const sizeDoc = Object.entries(SIZE_PRESETS)
  .map(([k, v]) => `${k} → ${v.vmSize} (${v.cpu} vCPU, ${v.memoryGiB} GiB)`)
  .join('; ');

const acceptedFrom = (from: readonly string[]) => `Accepted from status ${from.join(', ')}; 409 otherwise.`;

/** One path per power operation of the table (lib/vms/operations.ts). */
const powerPaths = Object.fromEntries(
  POWER_COMMANDS.map((command) => {
    const op = VM_OPERATIONS[command];
    return [
      `/${op.http.route}`,
      {
        post: {
          tags: ['vms'],
          operationId: op.http.functionName,
          summary: op.http.summary,
          description: `${acceptedFrom(op.from)} The VM is ${op.pending} until it is ${op.done} (or failed).`,
          parameters: [nameParam],
          responses: {
            '202': accepted('Accepted; the record is in its transitional status'),
            '400': problemResponse('Bad name or query parameter'),
            '404': problemResponse('No such VM'),
            '409': problemResponse('The current status forbids this operation'),
          },
        },
      },
    ];
  }),
);

export const vmsFragment: OpenApiFragment = {
  tags: [{ name: 'vms', description: 'Linux VMs provisioned on Azure' }],
  paths: {
    '/vms': {
      post: {
        tags: ['vms'],
        operationId: VM_OPERATIONS.create.http.functionName,
        summary: VM_OPERATIONS.create.http.summary,
        description: `Records the VM in status queued and provisions it asynchronously. Sizes: ${sizeDoc}; or give cpu/memoryGiB and the smallest size offered in the region that fits and boots a Gen2 x64 image is chosen. Bodies over ${MAX_CREATE_BODY_BYTES} bytes are refused (413).`,
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { $ref: '#/components/schemas/CreateVmRequest' } } },
        },
        responses: {
          '202': accepted('Accepted; poll Location until status is running or failed'),
          '400': problemResponse('Invalid body (every bad field is named)'),
          '409': problemResponse('The name is taken'),
          '413': problemResponse('Body too large'),
          '503': problemResponse(
            'The VM subscription has not registered Microsoft.Compute (MissingSubscriptionRegistration); see infra/README.md',
          ),
        },
      },
      get: {
        tags: ['vms'],
        operationId: 'listVms',
        summary: 'List VMs (paged, in name order)',
        parameters: [
          {
            name: 'status',
            in: 'query',
            description: 'Only VMs in these statuses (comma-separated or repeated)',
            schema: { type: 'string' },
          },
          {
            name: 'limit',
            in: 'query',
            schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
          },
          { name: 'cursor', in: 'query', description: 'Opaque, from nextLink', schema: { type: 'string' } },
        ],
        responses: {
          '200': {
            description: 'One page',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['items', 'nextLink'],
                  properties: {
                    items: { type: 'array', items: vmRef },
                    nextLink: { type: ['string', 'null'], description: 'The next page, null on the last' },
                  },
                },
              },
            },
          },
          '400': problemResponse('Bad query parameter'),
        },
      },
    },
    '/vms/{name}': {
      get: {
        tags: ['vms'],
        operationId: 'getVm',
        summary: 'One VM, with its provisioning steps',
        parameters: [nameParam],
        responses: {
          '200': { description: 'The record', content: { 'application/json': { schema: vmRef } } },
          '400': problemResponse('Bad name'),
          '404': problemResponse('No such VM'),
        },
      },
      delete: {
        tags: ['vms'],
        operationId: VM_OPERATIONS.delete.http.functionName,
        summary: VM_OPERATIONS.delete.http.summary,
        description: acceptedFrom(VM_OPERATIONS.delete.from),
        parameters: [nameParam],
        responses: {
          '202': accepted('Accepted; the record is deleting, then deleted'),
          '400': problemResponse('Bad name'),
          '404': problemResponse('No such VM'),
          '409': problemResponse('The current status forbids deletion'),
        },
      },
    },
    ...powerPaths,
    '/vms/{name}/ingest-token': {
      post: {
        tags: ['vms'],
        operationId: 'rotateIngestToken',
        summary: "Rotate the VM's ingest token (shown once; the old one works until the agent has switched)",
        description:
          "The VM's agent is handed the new token with its next successful ingest answer (Next-Ingest-Token) " +
          'and switches; the first request made with the new token ends the old one. Until then the old ' +
          'token keeps working, at most until `previousValidUntil` (24 h after the first rotation the agent ' +
          'has not taken up; rotating again replaces the pending token without extending that). The stock ' +
          'uploader cannot learn a token: its URL (`uploadUrl`) must be updated by hand.',
        parameters: [nameParam],
        responses: {
          '200': {
            description: 'The new token',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['token', 'ingestUrl', 'uploadUrl', 'previousValidUntil'],
                  properties: {
                    token: { type: 'string' },
                    ingestUrl: { type: 'string', format: 'uri' },
                    uploadUrl: { type: 'string', format: 'uri' },
                    previousValidUntil: {
                      type: 'string',
                      format: 'date-time',
                      description:
                        'The previous token stops at the latest then (earlier once the agent has switched)',
                    },
                  },
                },
              },
            },
          },
          '400': problemResponse('Bad name'),
          '404': problemResponse('No such VM'),
          '409': problemResponse('No token yet (the VM step has not begun) or the VM failed'),
        },
      },
    },
  },
  schemas: {
    CreateVmRequest: {
      type: 'object',
      additionalProperties: false,
      required: ['name'],
      properties: {
        name: nameParam.schema,
        size: { enum: Object.keys(SIZE_PRESETS), description: sizeDoc },
        cpu: { type: 'integer', minimum: 1, description: 'Instead of size: at least this many vCPUs' },
        memoryGiB: {
          type: 'number',
          exclusiveMinimum: 0,
          description: 'Instead of size: at least this much memory',
        },
        diskGiB: { type: 'integer', minimum: 30, maximum: 4095, default: 30 },
        region: { type: 'string', description: 'Azure region; default VM_DEFAULT_REGION' },
        sshPublicKey: {
          type: 'string',
          description:
            'OpenSSH ssh-ed25519 or ssh-rsa (≥ 2048 bits) key; required unless a default key is configured',
        },
        image: {
          type: 'string',
          default: 'Canonical:ubuntu-24_04-lts:server:latest',
          description: 'publisher:offer:sku:version',
        },
      },
    },
    ProvisioningStep: {
      type: 'object',
      required: ['name', 'status', 'startedAt'],
      properties: {
        name: { type: 'string' },
        status: { enum: ['running', 'succeeded', 'failed'] },
        startedAt: { type: 'string', format: 'date-time' },
        endedAt: { type: 'string', format: 'date-time' },
      },
    },
    Vm: {
      type: 'object',
      required: [
        'name',
        'status',
        'vmSize',
        'region',
        'resourceGroup',
        'publicIp',
        'privateIp',
        'provisioning',
      ],
      properties: {
        name: { type: 'string' },
        status: { enum: [...VM_STATUSES] },
        size: { type: ['string', 'null'] },
        vmSize: { type: 'string', description: 'Azure SKU' },
        cpu: { type: 'integer' },
        memoryGiB: { type: 'number' },
        diskGiB: { type: 'integer' },
        region: { type: 'string' },
        image: { type: 'string' },
        adminUsername: { type: 'string' },
        resourceGroup: { type: 'string' },
        publicIp: { type: ['string', 'null'] },
        privateIp: { type: ['string', 'null'] },
        createdAt: { type: 'string', format: 'date-time' },
        updatedAt: { type: 'string', format: 'date-time' },
        operation: {
          type: 'object',
          properties: { name: { type: 'string' }, requestId: { type: 'string' } },
        },
        provisioning: {
          type: 'object',
          required: ['step', 'steps'],
          properties: {
            step: { type: ['string', 'null'] },
            steps: { type: 'array', items: { $ref: '#/components/schemas/ProvisioningStep' } },
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: { code: { type: 'string' }, message: { type: 'string' }, step: { type: 'string' } },
            },
          },
        },
      },
    },
  },
};
