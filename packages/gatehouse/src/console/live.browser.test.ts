// The live overview in Chromium: the page takes the Server-Sent Events stream and a containment made
// through the API appears without a reload while the page says it is streaming (it does not poll then);
// with the stream refused, the page falls back to polling and the next containment still appears. axe-core
// on the page, no CSP violation (the stream is same-origin: connect-src 'self').
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { harness, ok, signUp, type Harness } from '../recovery/attack-harness.ts';
import { until } from '../testing/receiver.ts';
import {
  assertAccessible,
  browserSkip,
  context,
  ensureConsoleBuilt,
  launch,
  watchProblems,
} from './browser-harness.ts';
import { addOperator, codeOf, type TestOperator } from './test-operators.ts';

const skip = browserSkip();

describe('live overview in Chromium', { skip }, () => {
  let h: Harness;
  let browser: Browser;
  let n = 0;
  before(async () => {
    ensureConsoleBuilt();
    // the stream sends every 100 ms (production: 2 s), so a containment shows without a long wait
    h = await harness('sqlite', { consoleLiveIntervalMs: 100 });
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await h?.cleanup();
  });

  async function signedIn(op: TestOperator, block?: boolean): Promise<{ page: Page; problems: string[] }> {
    const ctx = await context(browser);
    const page = await ctx.newPage();
    if (block) {
      await page.route('**/v1/console/overview/stream', (r) => r.abort());
      // the page's own clock, moved past its 5 s poll below instead of waited out (it runs on meanwhile)
      await page.clock.install();
    }
    const problems = watchProblems(page);
    await page.goto(`${h.url}/console/`);
    await page.getByLabel('Operator name').fill(op.handle);
    await page.getByLabel('Password').fill(op.password);
    await page.getByLabel('Authenticator code').fill(codeOf(op));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#stat-containments').waitFor();
    return { page, problems };
  }

  async function contain(): Promise<void> {
    const a = await signUp(h, `live.page.${++n}`);
    ok(
      await h.call('POST', `/v1/accounts/${a.id}/freeze`, {
        key: h.op,
        body: { kind: 'containment', reason: 'taken over' },
      }),
    );
  }

  const count = (page: Page) =>
    page
      .locator('#stat-containments .stat')
      .innerText()
      .catch(() => '');

  test('streamed: a containment appears without a reload, and the page says it is live', async () => {
    const { page, problems } = await signedIn(await addOperator(h.gh, 'live.one', 'viewer'));
    await page.locator('#live-mode[data-mode="stream"]').waitFor();
    assert.equal(await count(page), '0');
    await assertAccessible(page, 'overview (streaming)');
    await contain();
    await until(async () => (await count(page)) === '1', 'the containment pushed to the page');
    assert.equal(await page.locator('#live-mode').getAttribute('data-mode'), 'stream');
    assert.deepEqual(problems, []);
    await page.context().close();
  });

  test('the stream refused: the page polls, and the next containment still appears', async () => {
    const { page, problems } = await signedIn(await addOperator(h.gh, 'live.two', 'viewer'), true);
    await page.locator('#live-mode[data-mode="poll"]').waitFor();
    await until(async () => (await count(page)) === '1', 'the current count');
    await contain();
    await until(async () => {
      // the next poll is due at once (the page's clock jumps past its 5 s interval)
      await page.clock.fastForward(5000);
      return (await count(page)) === '2';
    }, 'the containment polled');
    assert.equal(await page.locator('#live-mode').getAttribute('data-mode'), 'poll');
    // an aborted request is a network error, not a CSP violation or a page error
    assert.deepEqual(problems, []);
    await page.context().close();
  });
});
