// One test process of scripts/test.js: runs the test files the parent sends it, one after another, each
// inside a suite of its own (so that a file's top-level before/after hooks stay the file's), and reports
// every test event to the parent over IPC (scripts/test/ipc-reporter.js). After a file it checks that the
// file left no handle open (a server, socket, timer or child process that would keep a process alive):
// that is a failure of the file, and the parent replaces this process with a fresh one.
import asyncHooks from 'node:async_hooks';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { relative } from 'node:path';
import { inspect } from 'node:util';
import { hub } from './hub.js';

// Node's test runner tracks every asynchronous resource (each promise among them) with an async hook
// that has a destroy callback: that is how `test()` and `describe()` find the suite they are called in,
// also after an await (a file's top-level await, an async describe body). The hook makes each promise
// about 15 times as expensive (300,000 awaits: 28 ms of CPU without it, 440 ms with), and Gatehouse is
// made of promises (Kysely, Fastify): a fifth of the suite's CPU. So the hook is on only while tests are
// being registered — from a file's start until every suite body it made has finished — and off while
// they run, where subtests come through their context (`t.test`). What the hook also did while tests ran,
// pinning an error that escapes a test on that test, is done per file here (`escaped`: the file fails,
// with the error's stack). A test registered with the hook off lands on the runner's root instead of its
// file's suite: that fails the file too (`strays`). Replaced before node:test is loaded (it binds
// createHook then).
const createHook = asyncHooks.createHook;
let harnessHook;
let hookOn = false;
/** Suites whose body, which registers their tests, has not finished. */
let building = 0;
const built = () => {
  if (--building > 0) return;
  harnessHook?.disable();
  hookOn = false;
};
/** Tests registered on the root while the hook was off (called from a running test or hook). */
let strays = [];
let rootWatched = false;
/** Every file's suite is made on the root with the hook on; anything else made there is a stray. */
const watchRoot = (root) => {
  if (rootWatched) return;
  rootWatched = true;
  const createSubtest = root.createSubtest;
  root.createSubtest = function (Factory, name, ...rest) {
    if (!hookOn) strays.push(String(name));
    return createSubtest.call(this, Factory, name, ...rest);
  };
};
asyncHooks.createHook = function (callbacks) {
  if (!/internal\/test_runner\/harness/.test(new Error().stack ?? ''))
    return createHook.call(this, callbacks);
  harnessHook = createHook.call(this, {
    init(asyncId, type, triggerAsyncId, resource) {
      callbacks.init(asyncId, type, triggerAsyncId, resource);
      if (type !== 'Test') return;
      building++;
      // a suite's build (its body) is set once its constructor has returned; a test has none
      queueMicrotask(() => {
        if (resource.root) watchRoot(resource.root);
        if (resource.buildSuite) resource.buildSuite.then(built, built);
        else built();
      });
    },
    destroy: callbacks.destroy,
  });
  return harnessHook;
};
const { describe } = await import('node:test');
/** Errors thrown or rejected outside any test's reach while the current file ran. */
let escaped = [];
for (const event of ['uncaughtException', 'unhandledRejection'])
  process.on(event, (e) =>
    escaped.push(`${event}: ${e instanceof Error ? (e.stack ?? e.message) : inspect(e)}`),
  );

/** Resources that keep the event loop alive, counted by type. */
const resources = () => {
  const n = new Map();
  for (const r of process.getActiveResourcesInfo()) n.set(r, (n.get(r) ?? 0) + 1);
  return n;
};
const extra = (before) => {
  const out = [];
  for (const [type, count] of resources()) {
    const more = count - (before.get(type) ?? 0);
    if (more > 0) out.push(`${type} x${more}`);
  }
  return out;
};
/**
 * How long a file's handles may take to close after its last test (a server's close, a socket's end):
 * generous, it costs nothing to a file that closes its handles (the demo's last socket once took > 10 s).
 */
const SETTLE_MS = Number(process.env.GATEHOUSE_TEST_SETTLE_MS ?? 30_000);

/**
 * CPU seconds of the processes this one spawned and reaped (the CLIs, servers and browsers a file
 * starts): cutime + cstime of /proc/self/stat, in clock ticks (100 a second); 0 where there is no /proc.
 */
const childCpu = () => {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields 16 and 17 of proc(5), counted from the state (field 3) here
    return (Number(f[13]) + Number(f[14])) / 100;
  } catch {
    return 0;
  }
};

/** @param {string} file @param {number} settleMs how long its handles may take to close */
async function runFile(file, settleMs) {
  const before = resources();
  const env = { ...process.env };
  const cpu0 = process.cpuUsage();
  const children0 = childCpu();
  const t0 = performance.now();
  const ended = new Promise((resolve) => hub.once('file-end', resolve));
  // on while the file registers its tests (the first file's describe creates it, enabled)
  harnessHook?.enable();
  hookOn = true;
  describe(relative(process.cwd(), file), async () => {
    await import(pathToFileURL(file).href);
    process.send({ type: 'imported' });
  });
  await ended;
  // the test runner sets the exit code when an error escaped a test: the file's failure is reported
  // with the errors themselves (`escaped`), and the next file starts clean
  process.exitCode = undefined;
  const cpu1 = process.cpuUsage(cpu0);
  const children = childCpu() - children0;
  // a positive signal: poll until the handles the file opened are closed, with a deadline
  const deadline = Date.now() + settleMs;
  let leaked = extra(before);
  while (leaked.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
    leaked = extra(before);
  }
  const envChanged = [...new Set([...Object.keys(env), ...Object.keys(process.env)])].filter(
    (k) => env[k] !== process.env[k],
  );
  // a file's environment changes are its own: the next file starts from the same environment
  for (const k of envChanged) {
    if (env[k] === undefined) delete process.env[k];
    else process.env[k] = env[k];
  }
  const errors = [
    ...escaped,
    ...strays.map(
      (name) =>
        `"${name}" was registered from inside a running test or hook, outside any suite (use the test's ` +
        'context: t.test)',
    ),
  ];
  escaped = [];
  strays = [];
  process.send({
    type: 'done',
    file,
    leaked,
    escaped: errors,
    envChanged,
    cpu: (cpu1.user + cpu1.system) / 1e6,
    children,
    wall: (performance.now() - t0) / 1000,
  });
}

let chain = Promise.resolve();
process.on('message', (m) => {
  // a file alone in its process (ISOLATED) has its handles ended by the process's exit: no wait for them
  if (m.type === 'run') chain = chain.then(() => runFile(m.file, m.alone ? 1000 : SETTLE_MS));
  else if (m.type === 'exit') chain.then(() => process.exit(0));
});
process.send({ type: 'ready' });
