#!/usr/bin/env node
// Runs a script under a Node.js new enough for Gatehouse (>= 22.18), whatever Node started it.
// Plain JavaScript that any Node since 16 can run: the npm scripts (`npm start`, `npm test`, the root
// `postinstall`) go through it, so a newcomer whose system Node is older types only the README's two
// commands. When the Node running this file is too old it installs the pinned `node-<platform>-<arch>`
// package from the npm registry into .tools/ (ignored by git; the version is in .node-version, shared
// with scripts/node-env.sh), rebuilds the native addons that were built for the old Node against the
// new one's headers (npm_config_nodedir), then runs the script under it.
//
//   node scripts/node.js --setup          provision and rebuild only (the root postinstall)
//   node scripts/node.js FILE [ARGS...]   provision if needed, then run FILE under the right Node
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const MIN = [22, 18];
/** Addons whose binary is tied to one Node ABI, with a line that loads the binary. */
const NATIVE = {
  'better-sqlite3': "new (require('better-sqlite3'))(':memory:').close()",
};

const log = (msg) => console.error(`gatehouse node: ${msg}`);
const newEnough = (version) => {
  const [major, minor] = version.replace(/^v/, '').split('.').map(Number);
  return major > MIN[0] || (major === MIN[0] && minor >= MIN[1]);
};

function npm(args, env) {
  // npm_execpath is the npm that runs this script (npm start / npm test / postinstall); else npm on PATH.
  const cli = process.env.npm_execpath;
  const r = cli?.endsWith('.js')
    ? spawnSync(process.execPath, [cli, ...args], { cwd: root, env, stdio: ['ignore', 2, 2] })
    : spawnSync('npm', args, { cwd: root, env, stdio: ['ignore', 2, 2] });
  return r.status === 0;
}

/** The folder of the pinned Node package, installed into .tools/ when missing. */
function provision() {
  const version = readFileSync(join(root, '.node-version'), 'utf8').trim();
  const name = `node-${process.platform === 'win32' ? 'win' : process.platform}-${process.arch}`;
  const pkg = join(root, '.tools', 'node_modules', name);
  const bin = join(pkg, 'bin', 'node');
  if (existsSync(bin)) return { pkg, bin };
  log(
    `this Node is ${process.version}; Gatehouse needs >= ${MIN.join('.')}. Installing ${name}@${version} into .tools/`,
  );
  const args = [
    'install',
    '--prefix',
    join(root, '.tools'),
    '--no-save',
    '--no-package-lock',
    '--no-audit',
    '--no-fund',
  ];
  if (!npm([...args, `${name}@${version}`], process.env) || !existsSync(bin)) {
    log(
      `could not install ${name}@${version}; install Node.js >= ${MIN.join('.')} yourself (https://nodejs.org)`,
    );
    process.exit(1);
  }
  return { pkg, bin };
}

/** An environment whose `node` is the given one and whose native-addon builds use its headers. */
function envFor(tool) {
  return {
    ...process.env,
    PATH: `${dirname(tool.bin)}${delimiter}${process.env.PATH ?? ''}`,
    npm_config_nodedir: tool.pkg,
  };
}

/** Rebuild the addons that the given Node cannot load (they were built for another ABI). */
function rebuildNative(tool, env) {
  const broken = Object.entries(NATIVE)
    .filter(([name]) => existsSync(join(root, 'node_modules', name)))
    .filter(([, probe]) => spawnSync(tool.bin, ['-e', probe], { cwd: root, stdio: 'ignore' }).status !== 0)
    .map(([name]) => name);
  if (broken.length === 0) return;
  log(
    `rebuilding ${broken.join(', ')} for Node ${spawnSync(tool.bin, ['--version']).stdout.toString().trim()}`,
  );
  if (!npm(['rebuild', ...broken], env)) {
    log(`could not rebuild ${broken.join(', ')} (a C++ compiler, make and python3 are needed)`);
    process.exit(1);
  }
}

const [file, ...args] = process.argv.slice(2);
if (!file) {
  log('usage: node scripts/node.js --setup | FILE [ARGS...]');
  process.exit(2);
}
let tool = null;
let env = process.env;
if (!newEnough(process.version)) {
  tool = provision();
  env = envFor(tool);
  rebuildNative(tool, env);
}
if (file === '--setup') process.exit(0);
if (!tool) {
  // Already the right Node: run the file in this process (no second process to forward signals to).
  process.argv = [process.argv[0], resolve(root, file), ...args];
  await import(pathToFileURL(resolve(root, file)).href);
} else {
  const child = spawn(tool.bin, [resolve(root, file), ...args], {
    cwd: process.cwd(),
    env,
    stdio: 'inherit',
  });
  // Ctrl-C reaches the child through the terminal's process group; other signals are passed on.
  process.on('SIGINT', () => {});
  for (const sig of ['SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
  // `npm start` runs us through `sh -c`, which dies of npm's SIGTERM without passing it on: when the
  // process that started us is gone, stop the child as that signal meant.
  const parent = process.ppid;
  setInterval(() => process.ppid !== parent && child.kill('SIGTERM'), 500).unref();
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
}
