// The SDK against a real Gatehouse over HTTP: every platform method answers its typed shape, refusals
// arrive as GatehouseApiError with the registry's code, and checkMessage fills id and time.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { EventsClient, GatehouseApiError, GatehouseClient } from '@gatehouse/sdk';
import type { Gatehouse } from '../gatehouse.ts';
import { testGatehouse } from '../testing/index.ts';

let gh: Gatehouse;
let cleanup: () => Promise<void>;
let url: string;
let platform: GatehouseClient;
let key: string;

before(async () => {
  ({ gh, cleanup } = await testGatehouse('sqlite'));
  url = await gh.listen();
  key = (
    await gh.keys.create('platform', [
      'events:write',
      'accounts:read',
      'response:read',
      'webhooks:read',
      'webhooks:write',
    ])
  ).key;
  platform = new GatehouseClient({ baseUrl: url, apiKey: key });
});
after(async () => cleanup?.());

const code = (c: string) => (e: unknown) => e instanceof GatehouseApiError && e.code === c;

test('webhook endpoints through the SDK: create, list, update, rotate, dead letters, replay, remove', async () => {
  const { endpoint, secret } = await platform.createWebhookEndpoint({
    url: 'https://platform.example/gatehouse',
    types: ['account.*', 'message.retract'],
    description: 'chat',
  });
  assert.match(secret, /^whsec_/);
  assert.deepEqual(endpoint.types, ['account.*', 'message.retract']);
  assert.ok((await platform.webhookEndpoints()).some((e) => e.id === endpoint.id));
  const updated = await platform.updateWebhookEndpoint(endpoint.id, { types: ['*'] });
  assert.deepEqual(updated.types, ['*']);
  assert.equal((await platform.webhookEndpoint(endpoint.id)).description, 'chat');
  const rotated = await platform.rotateWebhookSecret(endpoint.id);
  assert.notEqual(rotated.secret, secret);
  assert.equal(typeof rotated.endpoint.previousSecretExpiresAt, 'number');
  assert.deepEqual(await platform.deadLetters({ endpoint: endpoint.id }), []);
  assert.deepEqual(await platform.replayWebhooks({ all: true, endpoint: endpoint.id }), { replayed: 0 });
  await assert.rejects(platform.webhookDeliveries('msg_nope'), code('WEBHOOK_MESSAGE_NOT_FOUND'));
  await platform.removeWebhookEndpoint(endpoint.id);
  await assert.rejects(platform.webhookEndpoint(endpoint.id), code('WEBHOOK_ENDPOINT_NOT_FOUND'));
});

test('checkMessage fills id and time (both clients); a retry with the same id answers the first verdict', async () => {
  const message = {
    account: 'acc_sdk_1',
    recipients: ['acc_sdk_2'],
    text: 'see you at seven',
    client: { kind: 'mobile' as const, name: 'ios' },
  };
  const first = await platform.checkMessage(message);
  assert.equal(first.verdict, 'allow', JSON.stringify(first));
  assert.match(first.id, /\S/);
  assert.equal(first.duplicate, false);
  const events = new EventsClient({ baseUrl: url, apiKey: key });
  const again = await events.checkMessage({ ...message, id: 'sdk-msg-1' });
  assert.equal(again.id, 'sdk-msg-1');
  const retry = await events.checkMessage({ ...message, id: 'sdk-msg-1', time: Date.now() });
  assert.equal(retry.duplicate, true);
  assert.equal(retry.verdict, again.verdict);
  await events.close();
  // the operator views of the same account
  await gh.engine.drain();
  const risk = await platform.accountRisk('acc_sdk_1');
  assert.equal(risk.account, 'acc_sdk_1');
  assert.ok(risk.risk >= 0 && risk.risk <= 1);
  assert.ok(risk.events.some((e) => e.id === 'sdk-msg-1'));
  assert.deepEqual(await platform.actions({ account: 'acc_sdk_1' }), []);
  const sent = await platform.sendEvents([
    { id: 'sdk-f-1', type: 'friend.added', time: Date.now(), account: 'acc_sdk_1', friend: 'acc_sdk_2' },
  ]);
  assert.equal(sent.accepted, 1);
});

test('challenges and the appeal through the SDK: typed answers and typed refusals', async () => {
  const app = new GatehouseClient({ baseUrl: url });
  await app.createAccount({ handle: 'sdk.owner', password: 'quiet harbour lantern 7' });
  const s = await app.signIn({ handle: 'sdk.owner', password: 'quiet harbour lantern 7' });
  const owner = app.withToken(s.token);
  assert.deepEqual(await owner.challenges(), []);
  await assert.rejects(owner.answerChallenge('chl_nope', 'was_me'), code('NOT_FOUND'));
  // without a session token the SDK refuses before sending anything
  await assert.rejects(app.challenges(), /needs a session token/);
  const pledge = await app.recoveryPledge();
  assert.ok(pledge.version && pledge.en && pledge.zh);
  // an appeal needs a frozen account; a case token that does not exist is refused
  await assert.rejects(
    app.withToken('ghr_nope').recoveryCase(),
    (e: unknown) => e instanceof GatehouseApiError,
  );
});

test('stepUp and openRecoveryCase: a new session proves a saved code; a support desk opens the appeal of a locked-out owner', async () => {
  const app = new GatehouseClient({ baseUrl: url });
  const password = 'copper lantern meadow 42';
  const acc = await app.createAccount({ handle: 'sdk.locked', password });
  const s = await app.signIn({ handle: 'sdk.locked', password });
  // the owner's saved codes (set up long ago in real life; here they count at once)
  const r = await fetch(`${url}/v1/me/recovery/codes`, {
    method: 'POST',
    headers: { authorization: `Bearer ${s.token}` },
  });
  assert.equal(r.status, 200, await r.clone().text());
  const codes = ((await r.json()) as { codes: string[] }).codes;
  const owner = app.withToken(s.token);
  await assert.rejects(owner.stepUp('AAAA-BBBB-CCCC'), code('RECOVERY_CODE_INVALID'));
  const up = await owner.stepUp(codes[0]!);
  assert.equal(typeof up.steppedUpAt, 'number');
  // a spent code does not step up again
  await assert.rejects(owner.stepUp(codes[0]!), code('RECOVERY_CODE_INVALID'));

  // frozen: the owner cannot sign in, and the platform's support desk opens the appeal for them
  const desk = new GatehouseClient({
    baseUrl: url,
    apiKey: (await gh.keys.create('support desk', ['accounts:write', 'recovery:write'])).key,
  });
  const frozen = await desk.freeze(acc.id, 'suspected takeover', { kind: 'containment' });
  assert.equal(frozen.freezeKind, 'containment');
  await assert.rejects(platform.openRecoveryCase(acc.id), code('API_KEY_SCOPE'));
  const opened = await desk.openRecoveryCase(acc.id);
  assert.match(opened.token, /^ghr_/);
  assert.equal(opened.case.state, 'opened');
  const walked = await app.withToken(opened.token).recoveryCase();
  assert.equal(walked.case.id, opened.case.id);
  // the owner proves it with another saved code
  const step = await app.withToken(opened.token).startVerification('recovery_code');
  assert.equal(step.case.state, 'verifying');
  const ok = await app.withToken(opened.token).answerVerification(codes[1]!);
  assert.equal(ok.case.state, 'verified');
});
