import { createQueryId, type Compilable, type CompiledQuery, type QueryResult } from 'kysely';
import type { Db, Tx } from './db.ts';

/**
 * A hot statement of one fixed shape, built and compiled by Kysely once per dialect; later calls only
 * bind their parameters. Building a query (immutable operation nodes, frozen at every step) and
 * compiling it costs more than SQLite takes to run a small statement: on a sign-in's few statements it
 * was a tenth of the event loop's time.
 *
 * `build` gets a record of placeholders in place of the values and must use each value as it is (a
 * bound parameter): never branch on it, compute with it or take it apart. The first call of a shape
 * checks that (compileShape); a statement that fails the check (a value written into the SQL or
 * derived from) is built and compiled at every call, as before.
 * Records are keyed by the names of their defined values, so `undefined` (a column left out) makes a
 * shape of its own.
 */
export function precompiled<P extends object, R>(
  build: (q: Db | Tx, p: P) => Compilable<R>,
): Precompiled<P, R> {
  // per adapter (SQLite, PostgreSQL: each compiles its own SQL) and shape
  const cache = new WeakMap<object, Map<string, Shape | null>>();
  const run = (q: Db | Tx, p: P) => {
    const values = p as Record<string, unknown>;
    const keys = Object.keys(values).filter((k) => values[k] !== undefined);
    const adapter = q.getExecutor().adapter;
    let shapes = cache.get(adapter);
    if (!shapes) cache.set(adapter, (shapes = new Map()));
    const sig = keys.join('\u0000');
    let shape = shapes.get(sig);
    if (shape === undefined) {
      shape = compileShape(q, build, keys);
      shapes.set(sig, shape);
    }
    if (shape === null) return q.executeQuery(build(q, p));
    const parameters = new Array<unknown>(shape.order.length);
    for (let i = 0; i < parameters.length; i++) {
      const o = shape.order[i]!;
      parameters[i] = 'key' in o ? values[o.key] : o.value;
    }
    const compiled: CompiledQuery<R> = {
      sql: shape.sql,
      parameters,
      query: shape.query,
      queryId: createQueryId(),
    };
    return q.executeQuery(compiled);
  };
  return Object.assign(run, {
    fixedShapes: (q: Db | Tx) =>
      [...(cache.get(q.getExecutor().adapter)?.values() ?? [])].filter((x) => x !== null).length,
  });
}

export interface Precompiled<P, R> {
  (q: Db | Tx, p: P): Promise<QueryResult<R>>;
  /** How many shapes of this statement are compiled once for the dialect of `q` (tests). */
  fixedShapes(q: Db | Tx): number;
}

interface Shape {
  sql: string;
  query: CompiledQuery['query'];
  /** For each parameter of the statement, the name of the value it binds, or the constant it is. */
  order: Array<{ key: string } | { value: unknown }>;
}

/**
 * Compiles the shape twice, with two sets of placeholders: a parameter that is a placeholder in both
 * (the same name) binds that value; one equal in both is a constant of the shape (a literal kind, a
 * step of 1); anything else was derived from a value (a hash of it, a sum), and the statement is not a
 * fixed shape.
 */
function compileShape<P extends object, R>(
  q: Db | Tx,
  build: (q: Db | Tx, p: P) => Compilable<R>,
  keys: string[],
): Shape | null {
  const marks = (m: string) => Object.fromEntries(keys.map((k) => [k, `${m}${k}`])) as unknown as P;
  const a = build(q, marks(MARK_A)).compile();
  const b = build(q, marks(MARK_B)).compile();
  if (a.sql !== b.sql || a.parameters.length !== b.parameters.length) return null;
  // a value written into the SQL itself rather than bound
  if (a.sql.includes(MARK_A)) return null;
  const order: Shape['order'] = [];
  for (let i = 0; i < a.parameters.length; i++) {
    const x = a.parameters[i];
    const y = b.parameters[i];
    const key = typeof x === 'string' && x.startsWith(MARK_A) ? x.slice(MARK_A.length) : undefined;
    if (key !== undefined && keys.includes(key) && y === `${MARK_B}${key}`) order.push({ key });
    else if (isConstant(x) && x === y && !String(x).includes(MARK_A)) order.push({ value: x });
    else return null;
  }
  return { sql: a.sql, query: a.query, order };
}

const MARK_A = '\u0000gatehouse-placeholder-a\u0000';
const MARK_B = '\u0000gatehouse-placeholder-b\u0000';
const isConstant = (v: unknown) => v === null || ['string', 'number', 'boolean', 'bigint'].includes(typeof v);
