// Runs Azurite (argv passed through) and shuts it down cleanly, flushing its data, when the runtime
// that started it goes away, even by SIGKILL: storage outlives a crashed host, as on Azure, but no
// orphan keeps ports or files busy.
'use strict';
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.kill(process.pid, 'SIGTERM');
}, 250).unref();
process.argv.splice(1, 1); // Azurite reads its options from argv[2..]
// Point operations on keys with `%` fail on Azure: refuse them here too (see table-key-check.cjs).
const tablePort = Number(process.argv[process.argv.indexOf('--tablePort') + 1]);
require('./table-key-check.cjs').checkTableRequests(require('node:http'), tablePort);
require(process.argv[1]);
