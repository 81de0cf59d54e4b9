/**
 * Test-only: the console's browser harness, for the operator console's and the security centre's
 * tests. Debian's Chromium through playwright-core (the flags every Gatehouse browser test uses), an
 * axe-core accessibility check of the page as shown, screenshots into docs/console/, and the console
 * built once if `npm install` has not built it. Never imported by production code.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, testBrowser } from '../testing/browser.ts';
import { REQUIRE_SERVICES } from '../testing/index.ts';
import { CONSOLE_DIST } from './static.ts';

export { CHROMIUM, CHROMIUM_ARGS };
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
/** Where the screenshots referenced by docs/console.md go. */
export const SCREENSHOTS = join(ROOT, 'docs', 'console');

/** Why browser tests skip here (no Chromium), or undefined; with GATEHOUSE_REQUIRE_SERVICES=1 a missing Chromium fails. */
export function browserSkip(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  if (REQUIRE_SERVICES)
    throw new Error(`Chromium is required (GATEHOUSE_REQUIRE_SERVICES=1) but ${CHROMIUM} is missing`);
  const why = `${CHROMIUM} not found: skipping the console browser test`;
  console.log(`# SKIP ${why}`);
  return why;
}

/** Builds packages/console/dist when it is missing (npm install builds it; a clone without install scripts may not have). */
export function ensureConsoleBuilt(): void {
  if (
    existsSync(join(CONSOLE_DIST, 'console', 'index.html')) &&
    existsSync(join(CONSOLE_DIST, 'me', 'index.html'))
  )
    return;
  const r = spawnSync(process.execPath, [join(ROOT, 'packages', 'console', 'scripts', 'build.js')], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  assert.equal(r.status, 0, 'the console build failed');
}

/** The run's shared Chromium, or one of the file's own (testing/browser.ts). */
export async function launch(): Promise<Browser> {
  return testBrowser({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/** A fresh browser context (own cookies) with a language, at phone or desktop width. */
export async function context(
  browser: Browser,
  o: { locale?: 'en-US' | 'zh-CN'; phone?: boolean } = {},
): Promise<BrowserContext> {
  return browser.newContext({
    locale: o.locale ?? 'en-US',
    viewport: o.phone ? { width: 390, height: 844 } : { width: 1280, height: 900 },
  });
}

/**
 * Collects what the page reported as CSP violations and uncaught errors: a console page must have none
 * (a violation means an inline script or style slipped into the build).
 */
export function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content.Security.Policy|Refused to/i.test(m.text())) problems.push(m.text());
  });
  return problems;
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/**
 * Runs axe-core (WCAG 2 A and AA rules) on the page and fails with the violations listed. The script is
 * evaluated through the DevTools protocol, which the page's CSP does not govern, so the check sees the
 * page exactly as served.
 */
export async function assertAccessible(page: Page, label: string): Promise<void> {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as {
        axe: { run: (ctx: unknown, o: unknown) => Promise<{ violations: unknown[] }> };
      }
    ).axe;
    const doc = (globalThis as unknown as { document: unknown }).document;
    const r = await axe.run(doc, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] } });
    return r.violations;
  });
  const list = (violations as AxeViolation[]).map(
    (v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
  assert.deepEqual(list, [], `${label}: accessibility violations`);
}

/**
 * Saves a screenshot as docs/console/<name>.png when GATEHOUSE_SCREENSHOTS=1 (refreshing the docs'
 * pictures is a choice, not a side effect of every test run); the page is rendered either way.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (process.env.GATEHOUSE_SCREENSHOTS !== '1') {
    await page.screenshot({ fullPage: true });
    return;
  }
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}
