// Child process for the crash test: runs the local runtime with the durable test app on a given data
// dir and prints `READY <baseUrl>` once it listens. The test SIGKILLs it mid-orchestration.
import { LocalRuntime } from '../../runtime';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: kill-child.ts <dataDir>');

void LocalRuntime.start({
  appEntry: 'local/test/fixtures/durable-app/index.ts',
  dataDir,
  arm: false,
  log: () => undefined,
}).then((rt) => {
  process.stdout.write(`READY ${rt.baseUrl}\n`);
});
