#!/usr/bin/env node
/**
 * The `least` command (package.json "bin"). It runs the TypeScript sources through tsx, so a checkout
 * needs no build step, on the pinned Node 24 from the `node` package: `npx least` finds that Node
 * first on PATH; a global install may start under an older system Node, and then hands over to it.
 */
'use strict';
/* global process, console, __filename -- Node's own; the lint config declares no globals for .cjs files */

const { realpathSync } = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const REQUIRED_MAJOR = 24;

/** The `node` package's binary beside this package, unless it is the Node already running. */
function pinnedNode() {
  try {
    const node = realpathSync(path.join(path.dirname(require.resolve('node/package.json')), 'bin', 'node'));
    return node === realpathSync(process.execPath) ? undefined : node;
  } catch {
    return undefined;
  }
}

const major = Number(process.versions.node.split('.')[0]);
if (major < REQUIRED_MAJOR) {
  const node = pinnedNode();
  if (!node) {
    console.error(
      `least needs Node ${REQUIRED_MAJOR} or later; this is ${process.version}, and the pinned one (npm package "node") is not installed.`,
    );
    process.exit(1);
  }
  const child = spawnSync(node, [__filename, ...process.argv.slice(2)], { stdio: 'inherit' });
  if (child.error) {
    console.error(`least could not start ${node}: ${child.error.message}`);
    process.exit(1);
  }
  if (child.signal) process.kill(process.pid, child.signal);
  process.exit(child.status ?? 1);
}

// V8's compiled code of every module kept on disk between runs (Node's own cache, in the OS temp
// directory unless NODE_COMPILE_CACHE names another): a command starts without compiling them again.
require('node:module').enableCompileCache?.();
// CommonJS hooks for `require`, ESM hooks for the lazy `import()` of each command's dependencies.
require('tsx/cjs/api').register();
require('tsx/esm/api').register();
require('../cli.ts').main(process.argv.slice(2));
