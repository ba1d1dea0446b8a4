// Child process for the kill test: the compiled app on the local runtime (Durable engine, persistent
// ARM emulator) on a given data dir; prints `READY <baseUrl>` once it listens.
import { LocalRuntime } from '../../local/runtime';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: kill-child.ts <dataDir>');

void LocalRuntime.start({
  dataDir,
  arm: { lroMs: 800, publicIpDelayMs: 200, onError: () => undefined },
  env: { COMMAND_QUEUE_NAME: 'vm-commands' },
  log: () => undefined,
}).then((rt) => {
  process.stdout.write(`READY ${rt.baseUrl} ${rt.arm?.endpoint ?? ''}\n`);
});
