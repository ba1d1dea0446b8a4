// The app thread (see app-thread.ts): loads the app and runs the invocations the host sends.
import { parentPort, workerData } from 'node:worker_threads';

import { type AppOptions, InProcessApp } from './app';
import { type FromApp, type ToApp, toThrown } from './app-thread';

const port = parentPort!;
const send = (m: FromApp) => port.postMessage(m);

async function main(): Promise<void> {
  let app: InProcessApp;
  try {
    app = await InProcessApp.load(workerData as AppOptions, (line) => send({ t: 'log', line }));
  } catch (e) {
    return send({ t: 'failed', error: toThrown(e) });
  }
  port.on('message', (m: ToApp) => {
    if (m.t === 'dispose') {
      void app.dispose().finally(() => send({ t: 'disposed' }));
      return;
    }
    app.invoke(m.req, m.extra).then(
      // What the handler returned stays here: the host only needs to know whether there was something.
      (result) => {
        const { handlerResult, ...rest } = result;
        const returned = handlerResult === undefined || handlerResult === null ? {} : { handlerResult: true };
        send({ t: 'done', id: m.id, result: { ...rest, ...returned } });
      },
      (e: unknown) => send({ t: 'threw', id: m.id, error: toThrown(e) }),
    );
  });
  send({ t: 'ready', functions: [...app.functions], proxyUrl: app.proxyUrl, loadMs: app.loadMs });
}

void main();
