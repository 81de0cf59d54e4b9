/**
 * Runs `gatehouse ARGS` in the test's own process, through the same `main` as bin/gatehouse.js, and
 * answers like spawnSync ({status, stdout, stderr}). A spawned CLI costs a Node start and a fresh load
 * of every source file (about a second of CPU each); tests of a command's parsing and output use this,
 * and a few spawn tests (cli.test.ts) keep the real binary honest.
 *
 * The environment is the one a spawned CLI would get: no GATEHOUSE_* variables of the test run, plus
 * `env`. Output is what the command prints through console and commander's own (help, usage errors);
 * commands that write to process.stdout directly need a spawn. Runs are serialised (they swap process-wide console and environment).
 */
import { format } from 'node:util';
import { main } from '../cli/index.ts';

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

let queue: Promise<unknown> = Promise.resolve();

export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const run = queue.then(() => runNow(args, env));
  queue = run.catch(() => undefined);
  return run;
}

async function runNow(args: string[], env: Record<string, string>): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const saved = { log: console.log, error: console.error, warn: console.warn, env: process.env };
  process.env = {
    ...Object.fromEntries(Object.entries(saved.env).filter(([k]) => !k.startsWith('GATEHOUSE_'))),
    GATEHOUSE_LOG_LEVEL: 'silent',
    ...env,
  };
  console.log = (...a: unknown[]) => void out.push(`${format(...a)}\n`);
  console.error = console.warn = (...a: unknown[]) => void err.push(`${format(...a)}\n`);
  const before = process.exitCode;
  process.exitCode = undefined;
  try {
    await main(['node', 'gatehouse', ...args], {
      writeOut: (t) => void out.push(t),
      writeErr: (t) => void err.push(t),
    });
    const code = process.exitCode;
    return { status: typeof code === 'number' ? code : 0, stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.exitCode = before;
    console.log = saved.log;
    console.error = saved.error;
    console.warn = saved.warn;
    process.env = saved.env;
  }
}
