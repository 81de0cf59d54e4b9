/**
 * The engine's one snapshot codec: the state as a stream of small JSON-safe records (a meta record,
 * then one per account, session, fingerprint, campaign, network; victims in chunks; campaign links),
 * so a large state never has to become one string, and a restorer that takes them back in order.
 */
import type { CampaignJSON } from './campaigns.ts';
import { fingerprintNumber } from './campaigns.ts';
import type { BoundedMap } from './bounded.ts';
import type { EngineState, EngineStats } from './engine-state.ts';
import { AccountState, FingerprintState, NetworkState, SessionState } from './state.ts';

/** 2: fingerprints count senders with compromise evidence (an older snapshot is rebuilt from the log). */
export const SNAPSHOT_VERSION = 2;

export type SnapshotRecord =
  | ['meta', { version: number; quarantined: string[]; simhashLive: number; stats: EngineStats }]
  | ['account', unknown]
  | ['session', unknown]
  | ['fingerprint', unknown]
  | ['campaign', CampaignJSON]
  | ['network', [string, unknown]]
  | ['victims', Array<[number, number]>]
  | ['links', Array<[number, string]>];

function metaRecord(st: EngineState): SnapshotRecord {
  const cs = st.campaigns;
  return [
    'meta',
    {
      version: SNAPSHOT_VERSION,
      quarantined: [...cs.quarantined],
      simhashLive: cs.simhashLive,
      stats: { ...st.stats, decisions: { ...st.stats.decisions } },
    },
  ];
}

function* victimChunks(entries: Iterable<[number, number]>): Generator<SnapshotRecord> {
  let chunk: Array<[number, number]> = [];
  for (const e of entries) {
    chunk.push(e);
    if (chunk.length === 10_000) {
      yield ['victims', chunk];
      chunk = [];
    }
  }
  if (chunk.length > 0) yield ['victims', chunk];
}

/** The state as records; take them synchronously, so they reflect one instant. */
export function* snapshotRecords(st: EngineState): Generator<SnapshotRecord> {
  const cs = st.campaigns;
  yield metaRecord(st);
  for (const a of st.accounts.values()) yield ['account', a.toJSON()];
  for (const x of st.sessions.values()) yield ['session', x.toJSON()];
  for (const f of cs.fingerprints.values()) yield ['fingerprint', f.toJSON()];
  for (const c of cs.byId.values()) yield ['campaign', { ...c, members: [...c.members] }];
  for (const [k, n] of st.networks.entries()) yield ['network', [k, n.toJSON()]];
  yield* victimChunks(st.victims.entries());
  yield ['links', [...cs.byFingerprint.entries()]];
}

/**
 * The entries of one bounded map as they were when the snapshot began, read out later a little at
 * a time: the keys are listed at the start, and an entry the engine reaches for before it has been
 * read out (to hand it out, replace, delete or evict it) is written down first, as it was.
 */
class CopyOnWrite<K, V> {
  private readonly map: BoundedMap<K, V>;
  private readonly line: (k: K, v: V) => string;
  private readonly keys: K[];
  private readonly pending: Set<K>;
  private readonly early = new Map<K, string>();
  /** Entries written down before their turn (the engine reached for them first). */
  copiedEarly = 0;

  constructor(map: BoundedMap<K, V>, line: (k: K, v: V) => string) {
    this.map = map;
    this.line = line;
    this.keys = [...map.keys()];
    this.pending = new Set(this.keys);
    map.watch((k, v) => {
      if (this.pending.delete(k)) {
        this.early.set(k, this.line(k, v));
        this.copiedEarly++;
      }
    });
  }

  *lines(): Generator<string> {
    try {
      for (const k of this.keys) {
        const e = this.early.get(k);
        if (e !== undefined) {
          this.early.delete(k);
          yield e;
        } else if (this.pending.delete(k)) {
          const v = this.map.peek(k);
          if (v !== undefined) yield this.line(k, v);
        }
      }
    } finally {
      this.stop();
    }
  }

  stop(): void {
    this.map.unwatch();
    this.pending.clear();
    this.early.clear();
  }
}

/** A snapshot begun at one instant and read out as JSON lines a few at a time (see `beginSnapshot`). */
export interface IncrementalSnapshot {
  /** The records as JSON lines, in the order snapshotRecords yields them. */
  lines: Generator<string>;
  /** Entries copied before their turn because the engine reached for them during the read-out. */
  copiedEarly(): number;
  /** Stops watching the state (the read-out was abandoned); finishing `lines` does it too. */
  abort(): void;
}

/**
 * Begins a snapshot of the state as it is now, without serialising it now: the small parts (meta,
 * campaigns, campaign links, victim contacts) are copied at once, and the large maps (accounts,
 * sessions, fingerprints, networks) are read out later, copy-on-write, so the caller may yield to the
 * event loop between lines while the engine goes on applying events, and still get this instant's
 * state. One snapshot at a time per state.
 */
export function beginSnapshot(st: EngineState): IncrementalSnapshot {
  const cs = st.campaigns;
  const head = JSON.stringify(metaRecord(st));
  const campaigns = [...cs.byId.values()].map((c) =>
    JSON.stringify(['campaign', { ...c, members: [...c.members] }] satisfies SnapshotRecord),
  );
  const victims = [...st.victims.entries()];
  const links: Array<[number, string]> = [...cs.byFingerprint.entries()];
  // accounts, sessions, fingerprints, networks: read out later, copy-on-write
  const maps: Array<{ lines(): Generator<string>; stop(): void; copiedEarly: number }> = [];
  const abort = () => {
    for (const m of maps) m.stop();
  };
  try {
    maps.push(new CopyOnWrite(st.accounts, (_k, a) => JSON.stringify(['account', a.toJSON()])));
    maps.push(new CopyOnWrite(st.sessions, (_k, x) => JSON.stringify(['session', x.toJSON()])));
    maps.push(new CopyOnWrite(cs.fingerprints, (_k, f) => JSON.stringify(['fingerprint', f.toJSON()])));
    maps.push(new CopyOnWrite(st.networks, (k, n) => JSON.stringify(['network', [k, n.toJSON()]])));
  } catch (err) {
    abort();
    throw err;
  }
  const [accounts, sessions, fingerprints, networks] = maps as [
    (typeof maps)[0],
    (typeof maps)[0],
    (typeof maps)[0],
    (typeof maps)[0],
  ];
  function* lines(): Generator<string> {
    try {
      yield head;
      yield* accounts.lines();
      yield* sessions.lines();
      yield* fingerprints.lines();
      yield* campaigns;
      yield* networks.lines();
      for (const r of victimChunks(victims)) yield JSON.stringify(r);
      yield JSON.stringify(['links', links] satisfies SnapshotRecord);
    } finally {
      abort();
    }
  }
  return { lines: lines(), copiedEarly: () => maps.reduce((n, m) => n + m.copiedEarly, 0), abort };
}

/** Adds records (in the order snapshotRecords yields them) to a fresh state; `done` checks the meta. */
export function restoreInto(st: EngineState): { add(r: SnapshotRecord): void; done(): void } {
  let meta: Extract<SnapshotRecord, ['meta', unknown]>[1] | undefined;
  const cs = st.campaigns;
  return {
    add(r: SnapshotRecord) {
      switch (r[0]) {
        case 'meta':
          if (r[1].version !== SNAPSHOT_VERSION)
            throw new Error(`unsupported engine snapshot version ${String(r[1].version)}`);
          meta = r[1];
          break;
        case 'account': {
          const a = AccountState.fromJSON(r[1]);
          st.accounts.set(a.id, a);
          break;
        }
        case 'session': {
          const x = SessionState.fromJSON(r[1] as SessionState);
          st.sessions.set(x.id, x);
          break;
        }
        case 'fingerprint': {
          const f = FingerprintState.fromJSON(r[1]);
          cs.fingerprints.set(fingerprintNumber(f.key), f);
          break;
        }
        case 'campaign':
          cs.restoreCampaign(r[1]);
          break;
        case 'network':
          st.networks.set(r[1][0], NetworkState.fromJSON(r[1][1]));
          break;
        case 'victims':
          for (const [k, v] of r[1]) st.victims.set(k, v);
          break;
        case 'links':
          for (const [k, v] of r[1]) cs.byFingerprint.set(k, v);
          break;
      }
    },
    done() {
      if (!meta) throw new Error('engine snapshot without its meta record');
      for (const q of meta.quarantined) cs.quarantine(q);
      cs.simhashLive = meta.simhashLive;
      Object.assign(st.stats, meta.stats, { decisions: { ...meta.stats.decisions } });
    },
  };
}
