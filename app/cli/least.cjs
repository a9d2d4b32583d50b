#!/usr/bin/env node
/**
 * The `least` command (package.json "bin"). It runs the TypeScript sources through tsx, so a checkout
 * needs no build step, on the pinned Node 24 from the `node` package: `npx least` finds that Node
 * first on PATH; a global install may start under an older system Node, and then hands over to it.
 */
'use strict';
/* global process, console, __filename, __dirname -- Node's own; the lint config declares no globals for .cjs files */

const { readFileSync, realpathSync, statSync } = require('node:fs');
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

/**
 * The command built into one file by app/cli/bundle.cjs (`npm ci` builds it), when every source it was
 * built from is as it was then: compared by size and modification time, a stat per source (~240, about
 * 2 ms). Anything else — no bundle, an edited source, LEAST_CLI_BUNDLE=0 — runs the sources through tsx.
 * LEAST_CLI_BUNDLE_DIR names another place to look, as it does to app/cli/bundle.cjs.
 */
function freshBundle() {
  if (process.env.LEAST_CLI_BUNDLE === '0') return undefined;
  const root = path.resolve(__dirname, '..', '..');
  const dir = process.env.LEAST_CLI_BUNDLE_DIR
    ? path.resolve(process.env.LEAST_CLI_BUNDLE_DIR)
    : path.join(root, 'node_modules', '.cache', 'least');
  const same = (file, [size, mtimeMs]) => {
    const stat = statSync(file, { throwIfNoEntry: false });
    return stat !== undefined && stat.size === size && stat.mtimeMs === mtimeMs;
  };
  try {
    const manifest = JSON.parse(readFileSync(path.join(dir, 'cli.manifest.json'), 'utf8'));
    const bundle = path.join(dir, 'cli.cjs');
    if (manifest.format !== 1 || !same(bundle, manifest.bundle)) return undefined;
    for (const [input, recorded] of Object.entries(manifest.inputs))
      if (!same(path.join(root, input), recorded)) return undefined;
    return bundle;
  } catch {
    return undefined;
  }
}

const bundle = freshBundle();
if (bundle) require(bundle).main(process.argv.slice(2));
else {
  // CommonJS hooks for `require`, ESM hooks for the lazy `import()` of each command's dependencies.
  require('tsx/cjs/api').register();
  require('tsx/esm/api').register();
  require('../cli.ts').main(process.argv.slice(2));
}
