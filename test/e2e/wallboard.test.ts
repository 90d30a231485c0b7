import fs from 'node:fs';
import { expect } from 'chai';
import { chromium, Browser } from 'playwright-core';
import { startCallHarness, CallHarness } from '../calls/harness';
import { until } from '../support/until';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The supervisors' wallboard in a real browser (Debian's Chromium, headless) against the whole call path. */
describe('wallboard page in headless Chromium', function () {
  this.timeout(90_000);
  let h: CallHarness;
  let browser: Browser;

  before(async function () {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: .ci/run installs Debian's chromium`);
    h = await startCallHarness();
    h.sim.registerEndpoint('1001');
    // The operator's phone does not pick up at first, so the caller is seen waiting.
    h.sim.setEndpointBehaviour('1001', { noAnswer: true });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  after(async () => {
    await browser?.close();
    await h?.stop();
  });

  it('given a supervisor, when they log in on the page, then the wallboard shows a caller waiting, then answered, with the counters moving', async () => {
    await h.t.userToken(['supervisor'], { username: 'banzhang' });
    const op = await h.t.userToken(['operator'], { username: 'op1001', extension: 'PJSIP/1001', centre: 'QY' });
    expect((await h.t.http('POST', '/api/operators/me/login', { token: op, body: {} })).status).to.equal(200);

    const page = await browser.newPage();
    await page.goto(`${h.t.baseUrl}/`);
    await page.fill('input[name=username]', 'banzhang');
    await page.fill('input[name=password]', 'wrong-password-9');
    await page.click('button[type=submit]');
    await until(async () => (await page.textContent('#error')) === '用户名或密码错误', { what: 'the login error' });
    await page.fill('input[name=password]', 'test-password-123');
    await page.click('button[type=submit]');
    await page.waitForURL('**/wallboard.html');
    await until(async () => (await page.textContent('#status')) === '实时', { what: 'the live feed' });
    const kpi = (k: string) => page.textContent(`article[data-queue="q-qy"] [data-k="${k}"]`);
    expect(await kpi('waiting')).to.equal('0');
    expect(await page.textContent('#operators')).to.contain('空闲');
    // The city centre's row: its current shift and one operator logged in.
    const cityRow = await page.textContent('#staffing tbody tr:first-child');
    expect(cityRow).to.match(/^市12345热线(白班|周末白班|节假日白班|夜班)\d+1/);
    const offered = Number(await kpi('offered'));

    const id = await h.sim.placeInboundCall({ from: '13600001111', to: '12345', trunk: 'carrier' });
    await until(async () => (await kpi('waiting')) === '1', { what: 'the waiting caller on the page' });
    expect(await page.textContent('article[data-queue="q-qy"] table')).to.contain('136****1111');
    h.sim.setEndpointBehaviour('1001', { answerAfterMs: 100 });
    await until(async () => (await kpi('answered')) === String(offered + 1) && (await kpi('waiting')) === '0', { timeoutMs: 10_000, what: 'the answer on the page' });
    expect(await kpi('offered')).to.equal(String(offered + 1));
    await until(async () => (await page.textContent('#operators'))!.includes('通话中'), { what: 'the operator on a call' });
    fs.mkdirSync('/tmp/hotline-screens', { recursive: true });
    await page.screenshot({ path: '/tmp/hotline-screens/wallboard.png', fullPage: true });
    h.sim.hangup(id);
    await page.close();
  });

  it('given no login, when the wallboard is opened, then the browser is sent to the login page', async () => {
    const page = await browser.newPage();
    await page.goto(`${h.t.baseUrl}/wallboard.html`);
    await page.waitForURL(`${h.t.baseUrl}/`);
    expect(await page.textContent('h1')).to.equal('12345 政务服务便民热线');
    await page.close();
  });
});
