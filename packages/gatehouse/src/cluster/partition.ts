/** Which partition of the event stream an account belongs to: FNV-1a (32-bit) of its id, mod N. */
export function partitionOf(account: string, partitions: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < account.length; i++) {
    h ^= account.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % partitions;
}

/** Names of one deployment's stream, bucket and subjects (all derived from clusterName). */
export interface ClusterNames {
  stream: string;
  bucket: string;
  /** Subject of partition p's events. */
  events(p: number): string;
  eventsAll: string;
  /** Subject of partition p's pre-send checks (request/reply to its owner). */
  check(p: number): string;
  /** Subject of partition p's "what does the engine hold against this sign-in" (request/reply). */
  signInRisk(p: number): string;
  /** "There are new events in the log" (to the relay). */
  pokeEvents: string;
  /** "There are new outbox rows" (to the dispatcher). */
  pokeOutbox: string;
  /** Fingerprint sightings every engine worker shares (campaigns cross partitions; on the stream). */
  sightings: string;
  /** Throttles set or lifted by the response part (to the engine workers answering checks). */
  throttles: string;
  /** Sessions put on probation or confirmed by identity (to the engine workers answering checks). */
  probation: string;
}

export function clusterNames(name: string): ClusterNames {
  return {
    stream: `${name}_events`,
    bucket: `${name}_leases`,
    events: (p) => `${name}.ev.${p}`,
    eventsAll: `${name}.ev.*`,
    check: (p) => `${name}.check.${p}`,
    signInRisk: (p) => `${name}.signin-risk.${p}`,
    pokeEvents: `${name}.poke.events`,
    pokeOutbox: `${name}.poke.outbox`,
    sightings: `${name}.fp`,
    throttles: `${name}.throttle`,
    probation: `${name}.probation`,
  };
}
