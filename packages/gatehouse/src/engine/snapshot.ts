/**
 * The engine's one snapshot codec: the state as a stream of small JSON-safe records (a meta record,
 * then one per account, session, fingerprint, campaign, network; victims in chunks; campaign links),
 * so a large state never has to become one string, and a restorer that takes them back in order.
 */
import type { CampaignJSON } from './campaigns.ts';
import { fingerprintNumber } from './campaigns.ts';
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

/** The state as records; take them synchronously, so they reflect one instant. */
export function* snapshotRecords(st: EngineState): Generator<SnapshotRecord> {
  const cs = st.campaigns;
  yield [
    'meta',
    {
      version: SNAPSHOT_VERSION,
      quarantined: [...cs.quarantined],
      simhashLive: cs.simhashLive,
      stats: { ...st.stats, decisions: { ...st.stats.decisions } },
    },
  ];
  for (const a of st.accounts.values()) yield ['account', a.toJSON()];
  for (const x of st.sessions.values()) yield ['session', x.toJSON()];
  for (const f of cs.fingerprints.values()) yield ['fingerprint', f.toJSON()];
  for (const c of cs.byId.values()) yield ['campaign', { ...c, members: [...c.members] }];
  for (const [k, n] of st.networks.entries()) yield ['network', [k, n.toJSON()]];
  let chunk: Array<[number, number]> = [];
  for (const e of st.victims.entries()) {
    chunk.push(e);
    if (chunk.length === 10_000) {
      yield ['victims', chunk];
      chunk = [];
    }
  }
  if (chunk.length > 0) yield ['victims', chunk];
  yield ['links', [...cs.byFingerprint.entries()]];
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
