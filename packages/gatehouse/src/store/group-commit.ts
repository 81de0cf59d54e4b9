import { open, type FileHandle } from 'node:fs/promises';
import {
  SqliteAdapter,
  SqliteDialect,
  SqliteDriver,
  type DatabaseConnection,
  type DialectAdapter,
  type Driver,
  type SqliteDialectConfig,
} from 'kysely';

/**
 * Power-loss durability for SQLite without blocking the event loop: group commit.
 *
 * With `synchronous = FULL`, SQLite fsyncs the write-ahead log inside every COMMIT, and better-sqlite3
 * runs COMMIT on the main thread: each write transaction blocked the event loop for the fsync (about
 * 5 ms on this machine; a password sign-in writes three times, so the Argon2id threads sat idle while
 * the loop waited on the disk). Instead the connection runs with `synchronous = NORMAL` (a COMMIT writes
 * the log without fsync; order and atomicity unchanged) and a transaction that wrote resolves only
 * after an fdatasync of the log file that started after its COMMIT — on the libuv thread pool, so the
 * loop keeps serving, and one fsync covers every COMMIT before it (group commit). A caller therefore
 * sees its transaction resolve only once it is as durable as under FULL: a crash or power loss can lose
 * only transactions that had not resolved, and only a suffix of them (the log is replayed in order up to
 * its last synced commit frame).
 *
 * Reads never wait. The single connection is serialised by this driver's own lock, released at COMMIT,
 * before the fsync: the next transaction runs while the previous one waits for the disk.
 */
export class WalSync {
  private readonly walPath: string;
  private file: FileHandle | undefined;
  private written = 0;
  private synced = 0;
  private inflight: Promise<void> | undefined;
  /** The last write generation reached, and the last one an fsync covers. */
  get writtenGen(): number {
    return this.written;
  }
  get syncedGen(): number {
    return this.synced;
  }
  /** fdatasync calls made (tests and metrics). */
  syncs = 0;

  constructor(dbPath: string) {
    this.walPath = `${dbPath}-wal`;
  }

  /** A write reached the log (a COMMIT, or a statement outside a transaction); its generation. */
  wrote(): number {
    return ++this.written;
  }

  /** Resolves once an fsync that started after write generation `gen` has finished. */
  async until(gen: number): Promise<void> {
    while (this.synced < gen) {
      if (!this.inflight) {
        const target = this.written;
        this.inflight = this.fsync()
          .then(() => {
            this.synced = Math.max(this.synced, target);
          })
          .finally(() => {
            this.inflight = undefined;
          });
      }
      await this.inflight;
    }
  }

  private async fsync(): Promise<void> {
    // the log exists once the database is open in WAL mode; the handle stays open until close (closing
    // a descriptor of a file would drop the process's POSIX locks on it, so it is opened once)
    this.file ??= await open(this.walPath, 'r');
    await this.file.datasync();
    this.syncs++;
  }

  async close(): Promise<void> {
    await this.inflight?.catch(() => undefined);
    await this.file?.close();
    this.file = undefined;
  }
}

class GroupCommitDriver extends SqliteDriver implements Driver {
  private readonly sync: WalSync;
  private locked = false;
  private readonly waiting: Array<() => void> = [];
  /** The generation of the last write made by the current holder of the connection (0: none). */
  private holderWrote = 0;

  constructor(config: SqliteDialectConfig, sync: WalSync) {
    super(config);
    this.sync = sync;
  }

  /** The statement cache reports each write here (it sees every statement before it runs). */
  wrote(): void {
    this.holderWrote = this.sync.wrote();
  }

  override async acquireConnection(): Promise<DatabaseConnection> {
    if (this.locked) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.locked = true;
    this.holderWrote = 0;
    return super.acquireConnection();
  }

  override async releaseConnection(): Promise<void> {
    const gen = this.holderWrote;
    this.holderWrote = 0;
    const next = this.waiting.shift();
    if (next) next();
    else this.locked = false;
    if (gen > 0) await this.sync.until(gen);
  }
}

/** This driver serialises the single connection itself (Kysely's own lock would be held over the fsync). */
class GroupCommitAdapter extends SqliteAdapter implements DialectAdapter {
  override get supportsMultipleConnections(): boolean {
    return true;
  }
}

export class GroupCommitDialect extends SqliteDialect {
  readonly driver: GroupCommitDriver;

  constructor(config: SqliteDialectConfig, sync: WalSync) {
    super(config);
    this.driver = new GroupCommitDriver(config, sync);
  }

  override createDriver(): Driver {
    return this.driver;
  }

  override createAdapter(): DialectAdapter {
    return new GroupCommitAdapter();
  }
}
