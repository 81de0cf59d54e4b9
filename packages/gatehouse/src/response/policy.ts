import { createHash } from 'node:crypto';
import { LineCounter, parseDocument, isMap, type Document } from 'yaml';
import { z } from 'zod';
import { SIGNAL_NAMES } from '../engine/config.ts';
import { ACTION_KINDS, ACTION_SCHEMAS, type ActionKind, type PlannedAction } from './actions/index.ts';

export { ACTION_KINDS, ACTION_SCHEMAS, type ActionKind, type PlannedAction };

/**
 * Response policies: an operator-editable YAML file whose rules map engine decisions and signals to
 * actions. Pure: parsing, validation (errors name the line) and evaluation. No code is evaluated from
 * the file — conditions are data (lists of names and numbers), never expressions.
 */

export const DECISION_ACTIONS = ['allow', 'challenge', 'hold', 'block', 'contain'] as const;

/** Signals the response part itself puts on decisions (an owner's "not me", the throttle gate). */
export const RESPONSE_SIGNALS = ['owner_denied', 'throttled'] as const;
/** The signal names a policy may name: the engine's detectors' and the response part's own. */
export const KNOWN_SIGNALS: ReadonlySet<string> = new Set<string>([...SIGNAL_NAMES, ...RESPONSE_SIGNALS]);

const signalName = z
  .string()
  .regex(/^[a-z][a-z0-9_.]{0,63}$/, 'a signal name (lower case, digits, "_" or ".")');

const actionEntry = z.union([
  z.string(),
  z
    .record(z.string(), z.unknown())
    .refine(
      (o) => Object.keys(o).length === 1,
      'one action per list entry, e.g. "- freeze_account" or "- revoke_sessions: {scope: all}"',
    ),
]);

const Rule = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'a rule id (lower case, digits, "-" or "_")'),
  description: z.string().max(500).optional(),
  mode: z.enum(['enforce', 'dry-run']).optional(),
  when: z.strictObject({
    decision: z.array(z.enum(DECISION_ACTIONS)).min(1).optional(),
    minRisk: z.number().min(0).max(1).optional(),
    eventType: z.array(z.string().max(64)).min(1).optional(),
    campaign: z.boolean().optional(),
    signals: z
      .strictObject({
        all: z.array(signalName).optional(),
        any: z.array(signalName).optional(),
        none: z.array(signalName).optional(),
      })
      .optional(),
  }),
  actions: z.array(actionEntry).min(1),
  stop: z.boolean().default(false),
});

const PolicyFile = z.strictObject({
  version: z.number().int().min(1),
  description: z.string().max(2000).optional(),
  defaults: z
    .strictObject({ mode: z.enum(['enforce', 'dry-run']).default('enforce') })
    .default({ mode: 'enforce' }),
  rules: z.array(Rule).min(1),
});

export interface PolicyRule {
  id: string;
  description?: string;
  mode: 'enforce' | 'dry-run';
  when: z.output<typeof Rule>['when'];
  actions: PlannedAction[];
  stop: boolean;
}

export interface Policy {
  /** The operator's version number from the file. */
  version: number;
  /** SHA-256 of the file text: identifies exactly what was loaded. */
  hash: string;
  description?: string;
  rules: PolicyRule[];
  text: string;
}

export interface PolicyProblem {
  line: number;
  column: number;
  path: string;
  message: string;
}

export class PolicyError extends Error {
  readonly problems: PolicyProblem[];
  constructor(source: string, problems: PolicyProblem[]) {
    super(
      `${source}: ${problems.map((p) => `line ${p.line}:${p.column} ${p.path ? `${p.path}: ` : ''}${p.message}`).join('; ')}`,
    );
    this.name = 'PolicyError';
    this.problems = problems;
  }
}

function locate(
  doc: Document,
  lc: LineCounter,
  path: Array<string | number>,
): { line: number; column: number } {
  // Walk down as far as the path exists; report the deepest node found (the offending one or its parent).
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
    if (range) {
      // For a key that is missing, point at its parent map; for a present node, at the node itself.
      const pos = lc.linePos(range[0]);
      return { line: pos.line, column: pos.col };
    }
  }
  return { line: 1, column: 1 };
}

/** Parses and validates a policy file. Throws PolicyError whose problems name line, column and path. */
export function parsePolicy(
  text: string,
  source = 'policy',
  knownSignals: ReadonlySet<string> = KNOWN_SIGNALS,
): Policy {
  const lc = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter: lc,
    prettyErrors: false,
    uniqueKeys: true,
    customTags: [],
    schema: 'core',
  });
  if (doc.errors.length) {
    throw new PolicyError(
      source,
      doc.errors.map((e) => {
        const pos = lc.linePos(e.pos[0]);
        return { line: pos.line, column: pos.col, path: '', message: e.message.split('\n')[0]! };
      }),
    );
  }
  if (!isMap(doc.contents))
    throw new PolicyError(source, [
      { line: 1, column: 1, path: '', message: 'the policy must be a mapping with "version" and "rules"' },
    ]);
  const data = doc.toJS({ maxAliasCount: 10 }) as unknown;
  const r = PolicyFile.safeParse(data);
  if (!r.success) {
    throw new PolicyError(
      source,
      r.error.issues.map((i) => ({
        ...locate(doc, lc, i.path as Array<string | number>),
        path: i.path.join('.'),
        message: i.message,
      })),
    );
  }
  const problems: PolicyProblem[] = [];
  const seen = new Set<string>();
  const rules: PolicyRule[] = r.data.rules.map((rule, ri) => {
    if (seen.has(rule.id))
      problems.push({
        ...locate(doc, lc, ['rules', ri, 'id']),
        path: `rules.${ri}.id`,
        message: `duplicate rule id "${rule.id}"`,
      });
    seen.add(rule.id);
    // a misspelt signal would load and silently never match: refuse it
    for (const list of ['all', 'any', 'none'] as const)
      rule.when.signals?.[list]?.forEach((name, i) => {
        if (knownSignals.has(name)) return;
        const p = ['rules', ri, 'when', 'signals', list, i];
        const near = closest(name, knownSignals);
        problems.push({
          ...locate(doc, lc, p),
          path: p.join('.'),
          message: `unknown signal "${name}"${near ? `; did you mean "${near}"?` : ''}`,
        });
      });
    const actions: PlannedAction[] = [];
    rule.actions.forEach((entry, ai) => {
      const [kind, params] = typeof entry === 'string' ? [entry, {}] : Object.entries(entry)[0]!;
      const where = ['rules', ri, 'actions', ai];
      if (!(kind in ACTION_SCHEMAS)) {
        problems.push({
          ...locate(doc, lc, where),
          path: where.join('.'),
          message: `unknown action "${kind}"; known: ${ACTION_KINDS.join(', ')}`,
        });
        return;
      }
      const pr = ACTION_SCHEMAS[kind as ActionKind].safeParse(params ?? {});
      if (!pr.success) {
        for (const i of pr.error.issues) {
          // an unknown parameter: point at its own line, not at the action's
          const extra = i.code === 'unrecognized_keys' ? i.keys.slice(0, 1) : [];
          const p = [...where, kind, ...(i.path as Array<string | number>), ...extra];
          problems.push({ ...locate(doc, lc, p), path: p.join('.'), message: i.message });
        }
        return;
      }
      actions.push({ kind, params: pr.data } as PlannedAction);
    });
    if (rule.when.decision?.includes('allow') && actions.some((a) => a.kind === 'freeze_account')) {
      const p = ['rules', ri, 'when', 'decision'];
      problems.push({
        ...locate(doc, lc, p),
        path: p.join('.'),
        message: 'a rule that matches "allow" decisions may not freeze accounts',
      });
    }
    return {
      id: rule.id,
      ...(rule.description ? { description: rule.description } : {}),
      mode: rule.mode ?? r.data.defaults.mode,
      when: rule.when,
      actions,
      stop: rule.stop,
    };
  });
  if (problems.length) throw new PolicyError(source, problems);
  return {
    version: r.data.version,
    hash: createHash('sha256').update(text).digest('hex'),
    ...(r.data.description ? { description: r.data.description } : {}),
    rules,
    text,
  };
}

/** The known name nearest to `name` (at most a third of its letters apart), for "did you mean". */
function closest(name: string, known: ReadonlySet<string>): string | undefined {
  let best: string | undefined;
  let bestD = Math.max(1, Math.floor(name.length / 3)) + 1;
  for (const k of known) {
    const d = editDistance(name, k, bestD);
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best;
}

function editDistance(a: string, b: string, cap: number): number {
  if (Math.abs(a.length - b.length) >= cap) return cap;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++)
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

/** What a policy needs to know about a decision. */
export interface DecisionFacts {
  action: (typeof DECISION_ACTIONS)[number];
  risk: number;
  eventType: string;
  signals: ReadonlyArray<{ name: string }>;
  campaigns?: readonly string[];
  /** The session the decision's event came from, when known (its device is the one a containment forgets). */
  session?: string | undefined;
}

export interface PlannedStep {
  rule: string;
  mode: 'enforce' | 'dry-run';
  action: PlannedAction;
}

function matches(rule: PolicyRule, d: DecisionFacts, names: Set<string>): boolean {
  const w = rule.when;
  if (w.decision && !w.decision.includes(d.action)) return false;
  if (w.minRisk !== undefined && d.risk < w.minRisk) return false;
  if (w.eventType && !w.eventType.includes(d.eventType)) return false;
  if (w.campaign !== undefined && w.campaign !== (d.campaigns?.length ?? 0) > 0) return false;
  const s = w.signals;
  if (s?.all && !s.all.every((n) => names.has(n))) return false;
  if (s?.any && !s.any.some((n) => names.has(n))) return false;
  if (s?.none && s.none.some((n) => names.has(n))) return false;
  return true;
}

/**
 * Whether the policy acts in earnest on a `contain` decision: some enforced rule with actions can match
 * one. Under a policy that only rehearses containment (dry-run), the engine's containment does not refuse
 * sign-ins either (identity/module.ts).
 */
export function enforcesContainment(policy: Policy): boolean {
  return policy.rules.some(
    (r) =>
      r.mode === 'enforce' &&
      r.actions.length > 0 &&
      (!r.when.decision || r.when.decision.includes('contain')),
  );
}

/**
 * Whether the policy only rehearses what a decision calls for: the rules that match it are all dry-run
 * (or, when none matches, the policy enforces no rule at all). The pre-send check then lets the message
 * go and names the verdict it would have given: switched on in dry-run, Gatehouse stops no message. The
 * same answer as "no step of `evaluatePolicy` is enforced", without planning the steps.
 */
export function rehearses(policy: Policy, d: DecisionFacts): boolean {
  const names = new Set(d.signals.map((s) => s.name));
  let rehearsed = false;
  for (const rule of policy.rules) {
    if (!matches(rule, d, names)) continue;
    if (rule.mode === 'enforce') return false;
    rehearsed = true;
    if (rule.stop) break;
  }
  // every rule has actions (the loader requires one)
  return rehearsed || !policy.rules.some((r) => r.mode === 'enforce');
}

/**
 * The actions a decision calls for, in rule order. An action named by several matching rules is taken
 * once; if any of those rules enforces it, it is enforced.
 */
export function evaluatePolicy(
  policy: Policy,
  d: DecisionFacts,
): { steps: PlannedStep[]; matched: string[] } {
  const names = new Set(d.signals.map((s) => s.name));
  const steps: PlannedStep[] = [];
  const matched: string[] = [];
  for (const rule of policy.rules) {
    if (!matches(rule, d, names)) continue;
    matched.push(rule.id);
    for (const action of rule.actions) {
      const key = `${action.kind}:${JSON.stringify(action.params)}`;
      const existing = steps.find((s) => `${s.action.kind}:${JSON.stringify(s.action.params)}` === key);
      if (existing) {
        if (rule.mode === 'enforce') existing.mode = 'enforce';
        continue;
      }
      steps.push({ rule: rule.id, mode: rule.mode, action });
    }
    if (rule.stop) break;
  }
  const implied = impliedForget(d, steps);
  if (implied) steps.push(implied);
  return { steps, matched };
}

/**
 * Every containment in earnest forgets the intruder's device and network: a contain decision of a known
 * session whose enforced steps include no step that forgets them (`revoke_sessions`, a containment's
 * `freeze_account`, `forget_device`) gets a `forget_device` step under the first enforced step's rule.
 * Without it the intruder's device stays known to the account, and a known device is not put to the
 * engine: it could sign in again with the password while the account is contained.
 */
function impliedForget(d: DecisionFacts, steps: PlannedStep[]): PlannedStep | undefined {
  if (d.action !== 'contain' || !d.session) return undefined;
  const enforced = steps.filter((s) => s.mode === 'enforce');
  const forgets = enforced.some(
    ({ action: a }) =>
      a.kind === 'revoke_sessions' ||
      a.kind === 'forget_device' ||
      (a.kind === 'freeze_account' && a.params.kind === 'containment'),
  );
  if (enforced.length === 0 || forgets) return undefined;
  return { rule: enforced[0]!.rule, mode: 'enforce', action: { kind: 'forget_device', params: {} } };
}
