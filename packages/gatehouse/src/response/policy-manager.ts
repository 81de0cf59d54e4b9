import { readFileSync, statSync, watch, type FSWatcher } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../log/index.ts';
import { parsePolicy, PolicyError, type Policy, type PolicyProblem } from './policy.ts';

export const DEFAULT_POLICY_FILE = fileURLToPath(
  new URL('../../config/policy.default.yaml', import.meta.url),
);

export interface PolicyStatus {
  file: string;
  version: number;
  hash: string;
  loadedAt: number;
  /** The last reload that failed (the previous policy stays in force). */
  lastError?: { at: number; message: string; problems: PolicyProblem[] };
}

/**
 * Holds the policy in force. Loads the file at start (an invalid file stops start-up with the line and
 * the problem), then reloads it when it changes (fs.watch plus an mtime poll, since editors replace files
 * and some file systems drop watch events). A reload that fails keeps the previous policy and records
 * the error. Every distinct policy text is reported through `onLoad` so it can be versioned.
 */
export class PolicyManager {
  private policy: Policy;
  private status: PolicyStatus;
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private mtimeMs = 0;
  private readonly file: string;
  private readonly log: Logger | undefined;
  private readonly onLoad: ((p: Policy) => void | Promise<void>) | undefined;
  private readonly now: () => number;

  constructor(
    file: string,
    opts: { log?: Logger; onLoad?: (p: Policy) => void | Promise<void>; now?: () => number } = {},
  ) {
    this.file = file || DEFAULT_POLICY_FILE;
    this.log = opts.log;
    this.onLoad = opts.onLoad;
    this.now = opts.now ?? Date.now;
    this.policy = this.read();
    this.status = {
      file: this.file,
      version: this.policy.version,
      hash: this.policy.hash,
      loadedAt: this.now(),
    };
  }

  private read(): Policy {
    let text: string;
    try {
      const st = statSync(this.file);
      this.mtimeMs = st.mtimeMs;
      text = readFileSync(this.file, 'utf8');
    } catch (e) {
      throw new PolicyError(this.file, [
        { line: 0, column: 0, path: '', message: `cannot read the policy file: ${(e as Error).message}` },
      ]);
    }
    return parsePolicy(text, this.file);
  }

  get current(): Policy {
    return this.policy;
  }

  get state(): PolicyStatus {
    return this.status;
  }

  /** Re-reads the file; returns true when a new policy is in force. */
  async reload(): Promise<boolean> {
    let next: Policy;
    try {
      next = this.read();
    } catch (e) {
      const problems = e instanceof PolicyError ? e.problems : [];
      this.status = {
        ...this.status,
        lastError: { at: this.now(), message: (e as Error).message, problems },
      };
      this.log?.error(
        { file: this.file, problems },
        'policy reload failed; the previous policy stays in force',
      );
      return false;
    }
    if (next.hash === this.policy.hash) return false;
    this.policy = next;
    this.status = { file: this.file, version: next.version, hash: next.hash, loadedAt: this.now() };
    this.log?.info({ file: this.file, version: next.version, hash: next.hash }, 'policy reloaded');
    await this.onLoad?.(next);
    return true;
  }

  async start(pollMs = 1000): Promise<void> {
    await this.onLoad?.(this.policy);
    const check = () => {
      try {
        if (statSync(this.file).mtimeMs !== this.mtimeMs) void this.reload();
      } catch {
        /* file briefly missing while an editor replaces it */
      }
    };
    try {
      this.watcher = watch(this.file, { persistent: false }, () => setTimeout(check, 20));
    } catch {
      /* polling alone */
    }
    this.timer = setInterval(check, pollMs);
    this.timer.unref();
  }

  stop(): void {
    this.watcher?.close();
    if (this.timer) clearInterval(this.timer);
  }
}
