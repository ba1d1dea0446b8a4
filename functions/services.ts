// The app's one Services, built when the app loads: its settings are its environment, as on Azure. A
// local host that loads the app into a thread it shares (tests with `appThread: false`) hands them over
// under a well-known symbol instead (local/host/app.ts), as that thread's process.env is not the app's.
import { createServices } from '../lib/services';

const handedOver = (globalThis as { [k: symbol]: NodeJS.ProcessEnv | undefined })[
  Symbol.for('vm-journal.appSettings')
];

export const services = createServices(handedOver ?? process.env);
