// Runs Azurite (argv passed through) and shuts it down cleanly, flushing its data, when the runtime
// that started it goes away, even by SIGKILL: storage outlives a crashed host, as on Azure, but no
// orphan keeps ports or files busy.
'use strict';
const parent = process.ppid;
// Azurite flushes its data on the first SIGTERM (process.once); a second one would take the default
// action and kill it mid-flush, losing what it had not yet written. So later SIGTERMs are ignored, and
// the watchdog sends one (it used to send one every 250 ms while the shutdown was under way).
process.on('SIGTERM', () => undefined);
const watchdog = setInterval(() => {
  if (process.ppid === parent) return;
  clearInterval(watchdog);
  process.kill(process.pid, 'SIGTERM');
}, 250);
watchdog.unref();
process.argv.splice(1, 1); // Azurite reads its options from argv[2..]
// Point operations on keys with `%` fail on Azure: refuse them here too (see table-key-check.cjs).
const tablePort = Number(process.argv[process.argv.indexOf('--tablePort') + 1]);
require('./table-key-check.cjs').checkTableRequests(require('node:http'), tablePort);
require(process.argv[1]);
