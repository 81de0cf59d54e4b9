// Over HTTP, on SQLite and PostgreSQL: switched on with a dry-run policy, the pre-send check stops no
// message. Its answer is allow with the verdict it would have given (`rehearsal`), and the message is
// taken as delivered: the dry-run record of the containment would retract it. Under the default
// (enforcing) policy the same message is blocked, and a blocked message is never retracted.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { harness, ok, signUp, type Harness } from '../recovery/attack-harness.ts';
import { DEFAULT_POLICY_FILE } from '../response/index.ts';
import { describeBackends } from '../testing/backends.ts';
import { until } from '../testing/receiver.ts';

const CLIENT = { kind: 'mobile', name: 'chat', version: '1' };
const SCAM = '急事！我在外地手机丢了，先转 5000 元到这个账户 6222 0210 0100 2233，明天还你';

/** An account the engine holds contained, and one message of it checked before sending. */
async function checkContained(h: Harness, label: string) {
  const a = await signUp(h, `rh.${label}`);
  const friend = await signUp(h, `rhf.${label}`);
  h.gh.engine.engine.markVictim(a.id);
  const id = `m-rehearsal-${label}`;
  const answer = ok(
    await h.call('POST', '/v1/check/message', {
      key: h.op,
      body: { id, account: a.id, recipients: [friend.id], text: SCAM, client: CLIENT },
    }),
  ).json;
  // the response part's records of the decision (both modes record what they do or would do)
  const actions = async () =>
    (
      ok(await h.call('GET', `/v1/actions?decision=${encodeURIComponent(`dec:${id}`)}`, { key: h.op })).json
        .actions as Array<{ kind: string; mode: string; detail: Record<string, unknown> }>
    ).filter((x) => x.kind === 'retract_messages');
  await until(async () => (await actions()).length > 0, 'the containment’s retract record');
  return { id, answer, retract: (await actions())[0]! };
}

describeBackends('the pre-send check under a dry-run policy', (backend) => {
  test('dry-run: a contained account’s message is let through with rehearsal "block", and the rehearsed containment would retract it (it was delivered)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-policy-'));
    const policyFile = join(dir, 'dry-run.yaml');
    writeFileSync(
      policyFile,
      readFileSync(DEFAULT_POLICY_FILE, 'utf8').replace('  mode: enforce', '  mode: dry-run'),
    );
    const h = await harness(backend, { policyFile });
    try {
      const { id, answer, retract } = await checkContained(h, `dry.${backend}`);
      assert.equal(answer.verdict, 'allow', JSON.stringify(answer));
      assert.equal(answer.action, 'contain');
      assert.equal(answer.rehearsal, 'block');
      assert.ok((answer.reasons as unknown[]).length > 0, 'the would-be decision explains itself');
      assert.equal(retract.mode, 'dry-run');
      assert.ok(JSON.stringify(retract.detail).includes(id), JSON.stringify(retract));
      // the same id again: the first answer, rehearsal and all
      const again = ok(
        await h.call('POST', '/v1/check/message', {
          key: h.op,
          body: { id, account: 'any', recipients: ['x'], text: 'hi', client: CLIENT },
        }),
      ).json;
      assert.equal(again.duplicate, true);
      assert.equal(again.rehearsal, 'block');
      assert.equal(again.verdict, 'allow');
    } finally {
      await h.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('enforce (the default policy): the same message is blocked, with no rehearsal, and never retracted (nobody received it)', async () => {
    const h = await harness(backend);
    try {
      const { id, answer, retract } = await checkContained(h, `enforce.${backend}`);
      assert.equal(answer.verdict, 'block', JSON.stringify(answer));
      assert.equal(answer.rehearsal, undefined);
      assert.equal(retract.mode, 'enforce');
      assert.ok(!JSON.stringify(retract.detail).includes(id), JSON.stringify(retract));
    } finally {
      await h.cleanup();
    }
  });
});
