// One test process of scripts/test.js: runs the test files the parent sends it, one after another, each
// inside a suite of its own (so that a file's top-level before/after hooks stay the file's), and reports
// every test event to the parent over IPC (scripts/test/ipc-reporter.js). After a file it checks that the
// file left no handle open (a server, socket, timer or child process that would keep a process alive):
// that is a failure of the file, and the parent replaces this process with a fresh one.
import { readFileSync } from 'node:fs';
import { describe } from 'node:test';
import { pathToFileURL } from 'node:url';
import { relative } from 'node:path';
import { hub } from './hub.js';

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
  describe(relative(process.cwd(), file), async () => {
    await import(pathToFileURL(file).href);
    process.send({ type: 'imported' });
  });
  await ended;
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
  process.send({
    type: 'done',
    file,
    leaked,
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
