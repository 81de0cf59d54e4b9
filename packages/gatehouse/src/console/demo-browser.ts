/**
 * Test-only: the demo's operator in Chromium. Signs in to the console with the printed name, password
 * and authenticator secret, and finds the demo's incidents (the rows the API lists) and the first one's
 * timeline and affected accounts, with axe-core on both pages and a screenshot.
 * Never imported by production code.
 */
import assert from 'node:assert/strict';
import { generateSync } from 'otplib';
import type { Demo } from '../sim/demo.ts';
import {
  assertAccessible,
  browserSkip,
  context,
  ensureConsoleBuilt,
  launch,
  screenshot,
  watchProblems,
} from './browser-harness.ts';

export async function consoleSeesDemo(demo: Demo, codeOffsetSteps = 1): Promise<void> {
  if (browserSkip()) return;
  ensureConsoleBuilt();
  const op = demo.operator;
  const browser = await launch();
  try {
    const page = await (await context(browser)).newPage();
    const problems = watchProblems(page);
    await page.goto(op.consoleUrl);
    await page.getByLabel('Operator name').fill(op.handle);
    await page.getByLabel('Password').fill(op.password);
    await page
      .getByLabel('Authenticator code')
      .fill(
        generateSync({ secret: op.totpSecret, epoch: Math.floor(Date.now() / 1000) + codeOffsetSteps * 30 }),
      );
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'Incidents & campaigns' }).click();
    await page.locator('#incident-list tbody tr').first().waitFor();
    await assertAccessible(page, 'demo incidents');
    // the demo's incidents as the API lists them are the rows the page shows
    const r = await fetch(`${demo.stack.gatehouseUrl}/v1/incidents`, {
      headers: { authorization: `Bearer ${demo.key}` },
    });
    const listed = ((await r.json()) as { incidents: { title: string }[] }).incidents;
    assert.equal(await page.locator('#incident-list tbody tr').count(), listed.length);
    await page.locator('#incident-list a').first().click();
    await page.locator('#timeline li').first().waitFor();
    await page.locator('#affected li').first().waitFor();
    await assertAccessible(page, 'demo incident');
    await screenshot(page, 'console-demo-incident');
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
  }
}
