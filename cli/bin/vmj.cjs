#!/usr/bin/env node
// The `vmj` executable (package.json "bin"): runs the compiled CLI from dist/, which `npm install`
// builds (the "prepare" script) and `npm run build` refreshes.
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const main = join(__dirname, '..', '..', 'dist', 'cli', 'main.js');
if (!existsSync(main)) {
  process.stderr.write(`vmj: ${main} is missing; run \`npm run build\` in ${join(__dirname, '..', '..')}\n`);
  process.exit(1);
}
require(main)
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
    // Fires only if a stream or timer of an interrupted command still keeps the process alive.
    setTimeout(() => process.exit(code), 2000).unref();
  });
