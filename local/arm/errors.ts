// ARM's error body and status codes: {"error":{"code","message","target?","details?"}}. Handlers throw
// ArmError; the server turns it into the response, so every failure looks the way Azure's does.

export interface ArmErrorBody {
  code: string;
  message: string;
  target?: string;
  details?: ArmErrorBody[];
}

export class ArmError extends Error {
  override name = 'ArmError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly target?: string,
    readonly headers: Record<string, string> = {},
    readonly details?: ArmErrorBody[],
  ) {
    super(message);
  }

  toBody(): { error: ArmErrorBody } {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.target ? { target: this.target } : {}),
        ...(this.details ? { details: this.details } : {}),
      },
    };
  }
}

export const invalidParameter = (message: string, target?: string) =>
  new ArmError(400, 'InvalidParameter', message, target);

export const invalidRequestContent = (message: string) => new ArmError(400, 'InvalidRequestContent', message);

export const invalidResourceReference = (message: string, target?: string) =>
  new ArmError(400, 'InvalidResourceReference', message, target);

export const resourceNotFound = (type: string, name: string, resourceGroup: string) =>
  new ArmError(
    404,
    'ResourceNotFound',
    `The Resource '${type}/${name}' under resource group '${resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
  );

export const resourceGroupNotFound = (resourceGroup: string) =>
  new ArmError(404, 'ResourceGroupNotFound', `Resource group '${resourceGroup}' could not be found.`);

export const conflict = (code: string, message: string, target?: string) =>
  new ArmError(409, code, message, target);

/** ARM's answer to a path it has no route for. */
export const noRouteFound = (path: string) =>
  new ArmError(404, 'NotFound', `No HTTP resource was found that matches the request URI '${path}'.`);

export const methodNotAllowed = (method: string) =>
  new ArmError(405, 'MethodNotAllowed', `The requested resource does not support http method '${method}'.`);
