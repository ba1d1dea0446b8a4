// One invocation, done as the Node.js worker does it: the app's own programming model converts the
// inputs (getArguments), runs the hooks and the handler, and converts the outputs (getResponse).
import { randomUUID } from 'node:crypto';
import { inspect } from 'node:util';

import type { CoreApi } from './core-api';
import type { LogSink } from './logger';
import { writeOutput } from './outputs';
import type { AppSettings } from './settings';
import type {
  ExtraInputs,
  FunctionInfo,
  HostPlugin,
  InvokeRequest,
  InvokeResult,
  RpcTypedData,
} from './types';

export interface InvokerDeps {
  core: CoreApi;
  log: LogSink;
  messageEncoding: 'base64' | 'none';
  settings: AppSettings;
}

export async function invokeFunction(
  deps: InvokerDeps,
  req: InvokeRequest,
  extra: ExtraInputs,
): Promise<InvokeResult> {
  const reg = deps.core.registrations.get(req.functionName.toLowerCase());
  if (!reg) throw new Error(`No function named "${req.functionName}" is registered.`);
  const model = deps.core.programmingModel;
  if (!model) throw new Error('The app registered no programming model (is @azure/functions v4 installed?).');

  const invocationId = req.invocationId ?? randomUUID();
  const inputData = [{ name: reg.triggerName, data: req.triggerData }, ...extra];
  const invocationModel = model.getInvocationModel({
    invocationId,
    metadata: { name: reg.name, bindings: reg.bindings },
    request: {
      invocationId,
      functionId: reg.name,
      inputData,
      triggerMetadata: req.triggerMetadata ?? {},
      retryContext: req.retryContext,
      traceContext: req.traceContext,
    },
    log: (level, category, message) =>
      deps.log({ time: new Date(), level, category, functionName: reg.name, invocationId, message }),
  });

  const { context, inputs } = await invocationModel.getArguments();
  const hookData: Record<string, unknown> = {};
  const pre = {
    invocationContext: context,
    functionCallback: reg.handler,
    inputs,
    hookData,
    appHookData: {},
  };
  await deps.core.runHooks('preInvocation', pre);
  let result: unknown;
  let error: unknown;
  try {
    result = await invocationModel.invokeFunction(context, pre.inputs, pre.functionCallback);
  } catch (e) {
    error = e;
  }
  const post = { invocationContext: context, inputs: pre.inputs, result, error, hookData, appHookData: {} };
  await deps.core.runHooks('postInvocation', post);
  if (post.error) throw post.error instanceof Error ? post.error : new Error(inspect(post.error));

  const response = await invocationModel.getResponse(context, post.result);
  const outputData = (response.outputData as InvokeResult['outputData'] | undefined) ?? [];
  for (const out of outputData) {
    const binding = reg.bindings[out.name];
    if (binding) await writeOutput(binding, out.data, deps.messageEncoding, deps.settings);
  }
  return {
    invocationId,
    returnValue: response.returnValue as RpcTypedData | undefined,
    outputData,
    handlerResult: post.result,
  };
}

/** The extra inputs of a function, from the plugins that own their binding types. */
export function extraInputs(plugins: readonly HostPlugin[], fn: FunctionInfo): ExtraInputs {
  const inputs: ExtraInputs = [];
  for (const [name, binding] of Object.entries(fn.bindings)) {
    if (name === fn.triggerName || binding.direction !== 'in') continue;
    const data = plugins.map((p) => p.inputFor?.(binding, fn.name)).find((d) => d !== undefined);
    if (!data)
      throw new Error(`The local host cannot provide input binding "${name}" of type "${binding.type}".`);
    inputs.push({ name, data });
  }
  return inputs;
}
