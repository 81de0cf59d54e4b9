// What Gatehouse tells a platform is exactly true (issue 20): every operation of /openapi.json has typed
// request and response bodies; GET /v1/policy shows each rule's conditions and the engine's thresholds;
// the thresholds and the contain-or-block rule that docs/integrating.md states are the engine's; the
// README lists every operator scope.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { DEFAULT_THRESHOLDS, decide } from '../engine/index.ts';
import type { Gatehouse } from '../gatehouse.ts';
import { SCOPES } from '../keys/index.ts';
import { testGatehouse } from '../testing/index.ts';

const root = new URL('../../../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');

type Schema = Record<string, unknown> & {
  type?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  $ref?: string;
  required?: string[];
};
type Operation = {
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  responses?: Record<string, { content?: Record<string, { schema?: Schema }> }>;
};

/** Why a body schema is untyped, or undefined when it is typed (an object with properties, a list of them). */
function untyped(
  s: Schema | undefined,
  doc: { components?: { schemas?: Record<string, Schema> } },
): string | undefined {
  if (!s) return 'no schema';
  if (s.$ref) return untyped(doc.components?.schemas?.[s.$ref.split('/').at(-1)!], doc);
  const alts = s.anyOf ?? s.oneOf ?? s.allOf;
  if (alts) {
    if (alts.length === 0) return 'empty union';
    for (const a of alts) {
      const why = untyped(a, doc);
      if (why && a.type !== 'null') return `a member: ${why}`;
    }
    return undefined;
  }
  if (s.type === 'null') return undefined;
  if (s.type === 'array')
    return s.items ? untyped(s.items, doc) && `items: ${untyped(s.items, doc)}` : 'array of anything';
  if (s.type === 'object' || s.properties) {
    const props = Object.entries(s.properties ?? {});
    if (props.length === 0) return 'an object without properties';
    for (const [name, p] of props) {
      // a list in a body names what it holds
      if (p.type === 'array' && (!p.items || Object.keys(p.items).length === 0))
        return `property ${name}: an array of anything`;
    }
    return undefined;
  }
  return `not an object (${JSON.stringify(s).slice(0, 60)})`;
}

let gh: Gatehouse;
let cleanup: () => Promise<void>;
let url: string;
let doc: {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
};

before(async () => {
  ({ gh, cleanup } = await testGatehouse('sqlite'));
  url = await gh.listen();
  doc = (await (await fetch(`${url}/openapi.json`)).json()) as typeof doc;
});
after(async () => {
  await cleanup?.();
});

describe('/openapi.json', () => {
  test('every operation has typed request and response bodies', () => {
    const problems: string[] = [];
    let operations = 0;
    for (const [path, ops] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(ops)) {
        if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
        operations++;
        const where = `${method.toUpperCase()} ${path}`;
        if (op.requestBody) {
          const why = untyped(op.requestBody.content?.['application/json']?.schema, doc);
          if (why) problems.push(`${where} request: ${why}`);
        }
        const ok = Object.entries(op.responses ?? {}).filter(([code]) => code.startsWith('2'));
        if (ok.length === 0) problems.push(`${where}: no 2xx response`);
        for (const [code, r] of ok) {
          if (code === '204') continue;
          const why = untyped(r.content?.['application/json']?.schema, doc);
          if (why) problems.push(`${where} ${code}: ${why}`);
        }
      }
    assert.ok(operations > 80, `${operations} operations`);
    assert.deepEqual(problems, []);
  });

  test('the checker itself refuses untyped bodies', () => {
    assert.ok(untyped({}, doc));
    assert.ok(untyped({ type: 'object', additionalProperties: {} }, doc));
    assert.ok(untyped({ type: 'object', properties: { events: { type: 'array', items: {} } } }, doc));
    assert.ok(untyped({ type: 'array', items: {} }, doc));
    assert.equal(untyped({ type: 'object', properties: { id: { type: 'string' } } }, doc), undefined);
  });

  test('events and the check are documented with the event schema; the check’s time is optional', () => {
    const events = doc.paths['/v1/events']!.post!.requestBody!.content!['application/json']!.schema!;
    const items = events.properties!.events!.items!;
    const kinds = (items.anyOf ?? []).flatMap(
      (m) => (m.properties?.type as { enum?: string[] } | undefined)?.enum ?? [],
    );
    assert.ok(kinds.includes('message.sent') && kinds.includes('friend.added'), JSON.stringify(kinds));
    const check = doc.paths['/v1/check/message']!.post!;
    const body = check.requestBody!.content!['application/json']!.schema!;
    assert.ok(body.properties!.account && body.properties!.recipients);
    assert.ok(body.required!.includes('account') && body.required!.includes('id'));
    assert.ok(!body.required!.includes('time') && !body.required!.includes('type'));
    const answer = check.responses!['200']!.content!['application/json']!.schema!;
    assert.match(String(answer.properties!.verdict!.description), /only field its send path acts on/);
    assert.match(String(answer.properties!.action!.description), /never branch the send path on it/);
    assert.ok(answer.properties!.warnings);
  });
});

describe('GET /v1/policy', () => {
  test('shows every rule with its conditions, actions with parameters, and the engine thresholds', async () => {
    const key = (await gh.keys.create('policy reader', ['response:read'])).key;
    const res = await fetch(`${url}/v1/policy`, { headers: { authorization: `Bearer ${key}` } });
    assert.equal(res.status, 200);
    const body = (await res.json()) as {
      rules: Array<{
        id: string;
        when: unknown;
        actions: string[];
        params: Array<{ action: string }>;
        stop: boolean;
      }>;
      engine: { thresholds: unknown };
    };
    const file = parse(read('packages/gatehouse/config/policy.default.yaml')) as {
      rules: Array<{ id: string; when: unknown; stop?: boolean }>;
    };
    assert.deepEqual(
      body.rules.map((r) => [r.id, r.when, r.stop]),
      file.rules.map((r) => [r.id, r.when, r.stop ?? false]),
    );
    const contain = body.rules.find((r) => r.id === 'contain-hijack')!;
    assert.deepEqual(
      contain.params.map((p) => p.action),
      contain.actions,
    );
    assert.deepEqual(body.engine.thresholds, DEFAULT_THRESHOLDS);
  });
});

describe('what docs/integrating.md says about decisions', () => {
  for (const file of ['docs/integrating.md', 'docs/integrating.zh.md'])
    test(`${file} states the engine's thresholds`, () => {
      const text = read(file);
      for (const [name, value] of Object.entries(DEFAULT_THRESHOLDS))
        assert.match(
          text,
          new RegExp(`\`${name}\`[^\\n|]*\\|\\s*${value.toString().replace('.', '\\.')}\\s*\\|`),
          name,
        );
    });

  test('contain needs both the contain threshold and compromise evidence; below block is hold', () => {
    const t = DEFAULT_THRESHOLDS;
    // the money-request blast of issue 20: risk 0.98 is logit ≈ 3.9, under block (4): hold
    assert.equal(decide(Math.log(0.98 / 0.02), 3, t), 'hold');
    // a score over the contain threshold without enough profile/session/state evidence: block
    assert.equal(decide(t.contain + 1, t.compromiseEvidence - 0.1, t), 'block');
    assert.equal(decide(t.contain + 1, t.compromiseEvidence, t), 'contain');
    // plenty of compromise evidence under the contain threshold: not contain
    assert.equal(decide(t.contain - 0.1, 10, t), 'block');
  });
});

test('the README lists every operator scope', () => {
  const readme = read('README.md');
  const table = readme.slice(readme.indexOf('| scope | grants |'), readme.indexOf('| `admin` |') + 20);
  for (const scope of SCOPES) assert.ok(table.includes(`\`${scope}\``), `README scope table lacks ${scope}`);
});
