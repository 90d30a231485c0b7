import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { chromium, Browser, BrowserContext, Page } from 'playwright-core';
import { WEB_DIST } from '../../src/web/pages';
import { until as untilBase } from '../support/until';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENS = path.resolve(__dirname, '../../test-artifacts/screens');
const ROOT = path.resolve(__dirname, '../..');

/**
 * The browser app is built by `npm ci` (npm's prepare script). When the build output is missing
 * (a checkout without `npm ci`), it is built once here instead of failing obscurely.
 */
export function ensureWebBuilt() {
  if (fs.existsSync(path.join(WEB_DIST, 'index.html'))) return;
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], { cwd: ROOT, stdio: 'inherit' });
}

/** Debian's Chromium, headless, with the project's flags (a fresh profile each launch). */
export async function launch(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: .ci/run installs Debian's chromium`);
  ensureWebBuilt();
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export async function newPage(browser: Browser, size: { width: number; height: number } = { width: 1366, height: 768 }): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: size, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  const page = await context.newPage();
  return { context, page };
}

/** Log in through the page and wait for the role's workbench. */
export async function login(page: Page, baseUrl: string, username: string, landing: string, password = 'test-password-123') {
  await page.goto(`${baseUrl}/login`);
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', password);
  await page.click('button[type=submit]');
  await page.waitForURL(`**${landing}`);
}

/** Screenshots at the two sizes the centre uses, kept under test-artifacts/screens/. */
export async function screens(page: Page, name: string) {
  fs.mkdirSync(SCREENS, { recursive: true });
  const before = page.viewportSize();
  for (const size of [{ width: 1920, height: 1080 }, { width: 1366, height: 768 }]) {
    await page.setViewportSize(size);
    await page.screenshot({ path: path.join(SCREENS, `${name}-${size.width}x${size.height}.png`), fullPage: true, animations: 'disabled' });
  }
  if (before) await page.setViewportSize(before);
}

/** axe-core injected into the page; the violations of the given impacts. */
export async function axeViolations(page: Page, impacts = ['serious', 'critical']) {
  const source = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  // The page as it rests: no hover state left from the last click.
  await page.mouse.move(0, 0);
  await page.evaluate(source);
  // Evaluated as page source: the test's TypeScript has no DOM types.
  const result = (await page.evaluate(`window.axe.run(document, { resultTypes: ['violations'] })`)) as { violations: Array<{ id: string; impact: string; help: string; nodes: Array<{ target: string[]; failureSummary?: string }> }> };
  return result.violations.filter((v) => impacts.includes(v.impact)).map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')}: ${n.failureSummary ?? ''}`) }));
}

/** Text of the first element matching, or '' (polling-friendly). */
export async function textOf(page: Page, selector: string): Promise<string> {
  const el = await page.$(selector);
  return el ? ((await el.textContent()) ?? '').trim() : '';
}

/** Choose an option of an Element Plus select by its visible text. */
export async function choose(page: Page, selectSelector: string, optionText: string | RegExp) {
  await page.click(selectSelector);
  const option = page.locator('.el-select-dropdown__item:visible', { hasText: optionText }).first();
  await option.waitFor({ state: 'visible' });
  await option.click();
}

/** `until` with a longer default: a page under a loaded CI machine renders in seconds, not milliseconds. */
export const until: typeof untilBase = (fn, opts = {}) => untilBase(fn, { timeoutMs: 20_000, ...opts });
