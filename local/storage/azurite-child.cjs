// Runs Azurite (argv passed through) and shuts it down cleanly, flushing its data, when the runtime
// that started it goes away, even by SIGKILL: storage outlives a crashed host, as on Azure, but no
// orphan keeps ports or files busy.
'use strict';
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.kill(process.pid, 'SIGTERM');
}, 250).unref();
process.argv.splice(1, 1); // Azurite reads its options from argv[2..]
require(process.argv[1]);
