// The runner of scripts/test.js. Starting a Node process that loads Gatehouse costs about 3 CPU-seconds
// (compiling and type-stripping the sources, the dictionaries), which was most of the suite's CPU when
// every test file was a process of its own. Here `jobs` long-lived worker processes (./worker.js) each
// take the next file from one queue (longest first, so they finish together) and run it, file after
// file, in one process; a file matched by `isolated` (it changes process-wide state) gets a fresh
// process of its own. The parent keeps the report per file and per test: each file's events are
// buffered and written together (Node's spec reporter, and scripts/test-times.js with `times`).
//
// Failures that a shared process adds are reported on the file that caused them, never dropped:
// - a worker that exits while running a file: that file fails with the exit code; the next file gets a
//   fresh worker;
// - a file that leaves a handle open after its tests (a server, socket, timer, child process): it fails,
//   naming the handles, and its worker is replaced (nothing leaks into the next file, nothing hangs);
// - a file whose import (top-level code) takes longer than the per-test timeout: it fails, and its
//   worker is killed.
import { fork } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { spec } from 'node:test/reporters';
import { inspect } from 'node:util';

const WORKER = new URL('./worker.js', import.meta.url).pathname;
const IPC_REPORTER = new URL('./ipc-reporter.js', import.meta.url).href;
const TIMES_REPORTER = new URL('../test-times.js', import.meta.url).href;

/** An error made plain by ./ipc-reporter.js, rebuilt for the reporters. */
function revive(v) {
  if (v && typeof v === 'object' && v.__inspected !== undefined)
    return { [inspect.custom]: () => v.__inspected };
  if (!v || typeof v !== 'object' || !v.__error) return v;
  const e = new Error(v.message);
  Object.defineProperty(e, 'name', { value: v.name, enumerable: false, configurable: true, writable: true });
  Object.defineProperty(e, 'stack', {
    value: v.stack,
    enumerable: false,
    configurable: true,
    writable: true,
  });
  for (const [k, x] of Object.entries(v.props)) {
    if (k === 'cause')
      Object.defineProperty(e, 'cause', {
        value: revive(x),
        enumerable: false,
        configurable: true,
        writable: true,
      });
    else e[k] = revive(x);
  }
  return e;
}

/** A test failure that the runner itself reports on a file (crash, leaked handle, no progress). */
function fileFailure(file, name, message) {
  const error = new Error(message);
  error.code = 'ERR_TEST_FAILURE';
  error.failureType = 'testCodeFailure';
  error.cause = new Error(message);
  error.cause.stack = `Error: ${message}\n    at ${file}`;
  return {
    type: 'test:fail',
    data: {
      name,
      nesting: 0,
      file,
      testFile: file,
      line: 1,
      column: 1,
      testNumber: 0,
      details: { duration_ms: 0, error, type: 'test' },
    },
  };
}

class Worker {
  /** @param {{env: object, timeoutMs: number}} o */
  constructor(o) {
    this.timeoutMs = o.timeoutMs;
    this.child = fork(WORKER, [], {
      env: o.env,
      execArgv: [
        '--disable-warning=ExperimentalWarning',
        `--test-timeout=${o.timeoutMs}`,
        `--test-reporter=${IPC_REPORTER}`,
        '--test-reporter-destination=stdout',
      ],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    this.exited = null;
    this.current = null; // { file, events, resolve, lastEvent }
    this.child.on('message', (m) => this.#message(m));
    for (const [stream, type] of [
      [this.child.stdout, 'test:stdout'],
      [this.child.stderr, 'test:stderr'],
    ])
      stream.on('data', (chunk) => {
        const message = chunk.toString();
        if (this.current) {
          const file = this.current.file;
          this.current.events.push({ type, data: { file, testFile: file, message } });
        } else process[type === 'test:stdout' ? 'stdout' : 'stderr'].write(message);
      });
    this.child.on('exit', (code, signal) => {
      this.exited = { code, signal };
      // the streams may still hold the last words of the process: let them drain first
      setImmediate(() => this.#finish({ crashed: { code, signal } }));
    });
  }
  #message(m) {
    const c = this.current;
    if (!c) return;
    if (m.type === 'imported') clearTimeout(c.watchdog);
    else if (m.type === 'event') c.events.push(m.event);
    else if (m.type === 'done') this.#finish(m);
  }
  #finish(result) {
    const c = this.current;
    if (!c) return;
    this.current = null;
    clearTimeout(c.watchdog);
    c.resolve({ ...result, events: c.events });
  }
  /**
   * Runs one file; resolves with its events and the worker's verdict on it. `alone`: the process ends
   * after this file, so it does not wait for the file's handles to close.
   */
  run(file, alone = false) {
    if (this.exited) return Promise.resolve({ crashed: this.exited, events: [] });
    return new Promise((resolve) => {
      const c = { file, events: [], resolve };
      // a file whose import (its top-level code) does not finish within a test's timeout hangs outside
      // any test, where Node's per-test timeout cannot end it
      c.watchdog = setTimeout(() => {
        this.#finish({ silent: this.timeoutMs / 1000 });
        this.kill();
      }, this.timeoutMs);
      this.current = c;
      this.child.send({ type: 'run', file, alone });
    });
  }
  kill() {
    if (!this.exited) this.child.kill('SIGKILL');
  }
  async close() {
    if (this.exited) return;
    const gone = new Promise((r) => this.child.once('exit', r));
    this.child.send({ type: 'exit' });
    await gone;
  }
}

/**
 * Runs `files` (sorted longest first) and reports them; resolves with the exit status (0: all passed).
 * @param {string[]} files
 * @param {{env: object, timeoutMs: number, jobs: number, isolated: (f: string) => boolean, times: boolean, recordTimes?: string}} o
 */
export async function runFiles(files, o) {
  const t0 = Date.now();
  const events = new PassThrough({ objectMode: true });
  const specOut = new PassThrough({ objectMode: true });
  events.pipe(specOut);
  const reported = [
    new Promise((r) => specOut.pipe(new spec()).on('end', r).pipe(process.stdout, { end: false })),
  ];
  if (o.times) {
    const timesOut = new PassThrough({ objectMode: true });
    events.pipe(timesOut);
    const { default: times } = await import(TIMES_REPORTER);
    reported.push(
      new Promise((r) => Readable.from(times(timesOut)).on('end', r).pipe(process.stderr, { end: false })),
    );
  }

  /** Wall seconds per file (relative path), kept in `o.recordTimes` for the next run's order. */
  const walls = {};
  const counts = { tests: 0, suites: 0, passed: 0, failed: 0, cancelled: 0, skipped: 0, todo: 0 };
  let runnerFailures = 0;
  const emit = (ev) => {
    const d = ev.data;
    if (ev.type === 'test:pass' || ev.type === 'test:fail') {
      if (d.details?.type === 'suite') counts.suites++;
      else {
        counts.tests++;
        if (d.skip !== undefined && d.skip !== false) counts.skipped++;
        else if (d.todo !== undefined && d.todo !== false) counts.todo++;
        else if (ev.type === 'test:pass') counts.passed++;
        else if (d.details?.error?.failureType === 'cancelledByParent') counts.cancelled++;
        else counts.failed++;
      }
    }
    events.write(ev);
  };

  /** Reports a finished file: its events one level up (the worker's per-file suite is not shown). */
  const report = (file, r, alone) => {
    const rel = relative(process.cwd(), file);
    let registered = 0;
    for (const ev of r.events) {
      const d = ev.data ?? {};
      // the file the event belongs to (a test made by a helper has the helper's file as its location)
      d.testFile = file;
      if (d.details?.error) d.details.error = revive(d.details.error);
      if (ev.type === 'test:stdout' || ev.type === 'test:stderr') {
        events.write(ev);
        continue;
      }
      if (typeof d.nesting !== 'number') continue;
      if (d.nesting === 0) {
        // the file's own suite: only a failure of its own (the import threw) is news
        if (ev.type === 'test:fail' && d.details?.error?.failureType !== 'subtestsFailed') {
          runnerFailures++;
          emit({ type: 'test:fail', data: { ...d, name: rel, file, line: 1, column: 1 } });
        }
        continue;
      }
      if (ev.type === 'test:pass' || ev.type === 'test:fail') registered++;
      emit({ type: ev.type, data: { ...d, nesting: d.nesting - 1 } });
    }
    const fail = (what, message) => {
      runnerFailures++;
      emit(fileFailure(file, `${rel}: ${what}`, message));
    };
    if (registered === 0 && !r.crashed && !r.silent)
      // a suite file imported by another file of the same process registers nothing the second time (an
      // ES module runs once per process): load it as an instance of its own (testing/backends.ts)
      fail('registered no tests', `${rel} registered no tests in its test process`);
    if (r.escaped?.length)
      fail(
        'an error escaped its tests',
        `while ${rel} ran, an error was thrown or a promise rejected where no test awaited it, or a test ` +
          `was registered where no suite holds it:\n${r.escaped.join('\n')}`,
      );
    if (r.crashed)
      fail(
        'its test process exited',
        `the test process exited (code ${r.crashed.code}, signal ${r.crashed.signal}) while running ${rel}; ` +
          'the files after it ran in a fresh process',
      );
    if (r.silent)
      fail(
        'hangs',
        `${rel} did not finish loading in ${r.silent} s (its top-level code): its process was killed`,
      );
    if (r.leaked?.length && alone)
      // its own process ends after it anyway: a note, not a failure (nothing else shares the process)
      events.write({
        type: 'test:diagnostic',
        data: { nesting: 0, testFile: file, message: `${rel} left handles open: ${r.leaked.join(', ')}` },
      });
    else if (r.leaked?.length)
      fail(
        'left handles open',
        `${rel} left handles open after its last test: ${r.leaked.join(', ')}; close them in an after() hook ` +
          '(a file that must leave them belongs in ISOLATED of scripts/test.js)',
      );
    if (typeof r.wall === 'number' && !r.crashed && !r.silent) walls[rel] = Math.round(r.wall * 10) / 10;
    events.write({
      type: 'gatehouse:file',
      data: {
        file,
        testFile: file,
        cpu: r.cpu,
        children: r.children,
        wall: r.wall,
        crashed: Boolean(r.crashed || r.silent),
      },
    });
  };

  const queue = [...files];
  const slot = async () => {
    let worker = null;
    while (queue.length > 0) {
      const file = resolve(queue.shift());
      const alone = o.isolated(file);
      const w = alone || !worker ? new Worker(o) : worker;
      if (!alone) worker = w;
      const r = await w.run(file, alone);
      report(file, r, alone);
      if (alone || r.crashed || r.silent || r.leaked?.length) {
        if (alone) await w.close();
        else {
          w.kill();
          worker = null;
        }
      }
    }
    await worker?.close();
  };
  await Promise.all(Array.from({ length: Math.max(1, o.jobs) }, slot));

  if (o.recordTimes)
    try {
      // merged into the earlier record: a run of a few files keeps the others' times
      let before = {};
      try {
        before = JSON.parse(readFileSync(o.recordTimes, 'utf8'));
      } catch {
        // none yet
      }
      mkdirSync(dirname(o.recordTimes), { recursive: true });
      writeFileSync(o.recordTimes, JSON.stringify({ ...before, ...walls }, null, 1));
    } catch {
      // a read-only checkout: the next run orders by SLOW
    }

  const ok = counts.failed === 0 && counts.cancelled === 0 && runnerFailures === 0;
  for (const [k, v] of Object.entries({
    tests: counts.tests,
    suites: counts.suites,
    pass: counts.passed,
    fail: counts.failed,
    cancelled: counts.cancelled,
    skipped: counts.skipped,
    todo: counts.todo,
    files: files.length,
    duration_ms: Date.now() - t0,
  }))
    events.write({ type: 'test:diagnostic', data: { nesting: 0, message: `${k} ${v}` } });
  events.write({
    type: 'test:summary',
    data: { file: undefined, success: ok, counts, duration_ms: Date.now() - t0 },
  });
  events.end();
  await Promise.all(reported);
  return ok ? 0 : 1;
}
