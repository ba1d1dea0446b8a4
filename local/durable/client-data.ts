// The data the Durable extension gives a `durableClient` input binding (OrchestrationClientInputData),
// pointing at this engine's HTTP API on the local host. durable-functions v3 calls `rpcBaseUrl` for
// everything and builds the management URLs it returns (createCheckStatusResponse…) from the templates.
export const WEBHOOK_PATH = '/runtime/webhooks/durabletask';
export const CONNECTION_NAME = 'Storage';

export interface ClientData {
  taskHubName: string;
  creationUrls: { createNewInstancePostUri: string; createAndWaitOnNewInstancePostUri: string };
  managementUrls: Record<string, string>;
  baseUrl: string;
  requiredQueryStringParameters: string;
  rpcBaseUrl: string;
  httpBaseUrl: string;
  maxGrpcMessageSizeInBytes: number;
  grpcHttpClientTimeout: string;
}

export const INSTANCE_ID_PLACEHOLDER = 'INSTANCEID';

export function querySuffix(hubName: string): string {
  return `taskHub=${encodeURIComponent(hubName)}&connection=${CONNECTION_NAME}`;
}

/** The management links for one instance (the placeholder id replaced), as the extension builds them. */
export function managementUrls(
  hostBaseUrl: string,
  hubName: string,
  instanceId: string,
): Record<string, string> {
  const q = querySuffix(hubName);
  const prefix = `${hostBaseUrl}${WEBHOOK_PATH}/instances/${instanceId === INSTANCE_ID_PLACEHOLDER ? instanceId : encodeURIComponent(instanceId)}`;
  return {
    id: instanceId,
    statusQueryGetUri: `${prefix}?${q}`,
    sendEventPostUri: `${prefix}/raiseEvent/{eventName}?${q}`,
    terminatePostUri: `${prefix}/terminate?reason={text}&${q}`,
    rewindPostUri: `${prefix}/rewind?reason={text}&${q}`,
    purgeHistoryDeleteUri: `${prefix}?${q}`,
    restartPostUri: `${prefix}/restart?${q}`,
    suspendPostUri: `${prefix}/suspend?reason={text}&${q}`,
    resumePostUri: `${prefix}/resume?reason={text}&${q}`,
  };
}

export function clientData(hostBaseUrl: string, hubName: string): ClientData {
  const base = `${hostBaseUrl}${WEBHOOK_PATH}`;
  const q = querySuffix(hubName);
  return {
    taskHubName: hubName,
    creationUrls: {
      createNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]?${q}`,
      createAndWaitOnNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&${q}`,
    },
    managementUrls: managementUrls(hostBaseUrl, hubName, INSTANCE_ID_PLACEHOLDER),
    baseUrl: base,
    requiredQueryStringParameters: q,
    rpcBaseUrl: `${base}/`,
    httpBaseUrl: base,
    maxGrpcMessageSizeInBytes: 0,
    grpcHttpClientTimeout: '00:01:40',
  };
}
