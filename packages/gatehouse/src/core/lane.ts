/**
 * The background lane: the work that follows a decision (the outbox drainer, the response queue,
 * incidents, notices, webhooks) takes turns here, ONE slice of at most `SLICE_MS` per turn of the event
 * loop, so the requests that arrived meanwhile (the pre-send check above all) are answered between any
 * two slices. Database calls on SQLite are synchronous and each loop used to slice on its own: in a mass
 * incident one turn of the event loop ran a slice of every loop one after another, and a check waited
 * behind all of them. Now a check waits at most about one slice (docs/scenarios.md, issue 17).
 *
 * A loop calls `await laneTurn()` at its head and between units of work (never inside a transaction: the
 * connection is held for it). While the current slice has time left it goes on at once; otherwise it
 * queues, and the waiting loops are resumed first come, first served, one per turn (`setImmediate`). An
 * idle event loop turns at once, so a backlog is still worked through at full speed when no request waits.
 */
export const SLICE_MS = 2;

const waiting: Array<() => void> = [];
let sliceEnd = 0;
let scheduled = false;
const counts = { waits: 0 };

function next(): void {
  scheduled = false;
  const resume = waiting.shift();
  if (!resume) return;
  sliceEnd = performance.now() + SLICE_MS;
  resume();
  if (waiting.length > 0) schedule();
}

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  setImmediate(next);
}

/**
 * Resolves when the caller may run background work: at once within the current slice, else at its turn.
 * `first`: ahead of the loops already waiting — the outbox drainer, which carries identity events (a new
 * session, a sign-in) to the engine that answers the checks, is not kept behind the response work.
 */
export function laneTurn(first = false): Promise<void> {
  if (performance.now() < sliceEnd) return Promise.resolve();
  counts.waits++;
  return new Promise<void>((resolve) => {
    if (first) waiting.unshift(resolve);
    else waiting.push(resolve);
    schedule();
  });
}

/** Times a loop had to wait for a turn, and loops waiting now (/metrics shows the second). */
export function laneStats(): { waits: number; waiting: number } {
  return { ...counts, waiting: waiting.length };
}
