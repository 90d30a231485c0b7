import { expect } from 'chai';
import twilio from 'twilio';
import { startTickets, TicketsHarness, HOUR } from './helpers';
import { TwilioSmsGateway, toE164 } from '../../src/tickets/sms/twilio';
import { parseRating } from '../../src/tickets/satisfaction';

const AUTH = 'test-auth-token-0123456789';
const SID = 'AC' + '0'.repeat(32);

describe('tickets: SMS replies, the signed satisfaction webhook and the rate (第二十一条(四), 第二十二条(三)(四))', function () {
  this.timeout(60_000);
  let h: TicketsHarness;
  before(async () => {
    h = await startTickets({ at: '2026-11-26T10:00:00+08:00', env: { TWILIO_AUTH_TOKEN: AUTH } });
  });
  after(async () => h?.stop());

  const url = () => `${h.t.baseUrl}/api/tickets/sms/inbound`;
  async function inbound(params: Record<string, string>, signature?: string | null) {
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    const sig = signature === undefined ? twilio.getExpectedTwilioSignature(AUTH, url(), params) : signature;
    if (sig !== null) headers['x-twilio-signature'] = sig;
    const res = await fetch(url(), { method: 'POST', headers, body: new URLSearchParams(params).toString() });
    return { status: res.status, text: await res.text() };
  }
  async function replied(phone: string, category = 'complaint', extra: Record<string, unknown> = {}) {
    const c = await h.create({ callerPhone: phone, category, content: `事项 ${phone} ${category}`, ...extra });
    await h.ok(c.no, 'dispatch', { mainUnit: 'QY-ZJJ' });
    await h.ok(c.no, 'sign', {}, h.tokens.zjj);
    await h.ok(c.no, 'reply', { text: '已按规定处理' }, h.tokens.zjj);
    return c.no as string;
  }

  it('given replies by SMS, when parsed, then digits 1–5 and the Chinese words map to the five levels', () => {
    expect(['1', '2', '3', '4', '5', ' 5。', '非常不满意', '基本满意', '满意啊', '好的'].map(parseRating)).to.deep.equal([
      'very_satisfied', 'satisfied', 'basically_satisfied', 'dissatisfied', 'very_dissatisfied', 'very_dissatisfied', 'very_dissatisfied', 'basically_satisfied', 'satisfied', null,
    ]);
  });

  it('given an unsigned or mis-signed webhook, when it arrives, then it is refused 403 and nothing is recorded', async () => {
    const no = await replied('13811110001');
    const params = { From: '+8613811110001', Body: '1', MessageSid: 'SM1' };
    expect((await inbound(params, null)).status).to.equal(403);
    expect((await inbound(params, twilio.getExpectedTwilioSignature('another-token-xyz', url(), params))).status).to.equal(403);
    expect((await inbound({ ...params, Body: '5' }, twilio.getExpectedTwilioSignature(AUTH, url(), params))).status).to.equal(403); // body changed after signing
    expect((await h.get(no)).status).to.equal('replied');
    expect(await h.t.db.knex('ticket_sms').where({ direction: 'in' }).count({ n: '*' }).first().then((r: any) => Number(r.n))).to.equal(0);
  });

  it('given a signed reply "2", when it arrives, then the caller\'s answered ticket is closed as 满意 and TwiML thanks them', async () => {
    const no = await replied('13811110002');
    const r = await inbound({ From: '+8613811110002', Body: '2', MessageSid: 'SM2' });
    expect(r.status).to.equal(200);
    expect(r.text).to.contain('<Response><Message>【庆阳12345】感谢您的评价');
    const t = await h.get(no);
    expect(t.status).to.equal('closed');
    expect(t.visits[0]).to.include({ level: 'satisfied', channel: 'sms' });
  });

  it('given a signed reply "4" (不满意), then the ticket waits for the manual callback and the 24 h default no longer closes it', async () => {
    const no = await replied('13811110003');
    const r = await inbound({ From: '13811110003', Body: '4', MessageSid: 'SM3' });
    expect(r.text).to.contain('工作人员将尽快回访');
    h.clock.advance(25 * HOUR);
    await h.feature.internals!.timer.tick();
    const t = await h.get(no);
    expect(t.status).to.equal('replied');
    expect(t.flow.smsDissatisfied).to.equal('dissatisfied');
    const v = await h.ok(no, 'visit', { level: 'dissatisfied', cause: 'unit' });
    expect(v.status).to.equal('in_progress'); // 重办
    h.clock.advance(-25 * HOUR);
  });

  it('given visits of every kind, when the rate is computed, then dissatisfied 建议 and screened (甄别) visits are excluded (第二十二条(四))', async () => {
    h.clock.advance(60_000); // a period of its own, after the other tests' visits
    const from = h.clock.t.toISOString();
    const sat = await replied('13822220001');
    await h.ok(sat, 'visit', { level: 'basically_satisfied' });
    const dis = await replied('13822220002');
    await h.ok(dis, 'visit', { level: 'very_dissatisfied', cause: 'expectation' });
    const sug = await replied('13822220003', 'suggestion');
    await h.ok(sug, 'visit', { level: 'dissatisfied', cause: 'beyond_policy' });
    const med = await replied('13822220004');
    await h.ok(med, 'visit', { level: 'dissatisfied', cause: 'beyond_policy' });
    const pol = await replied('13822220005');
    await h.ok(pol, 'visit', { level: 'dissatisfied', cause: 'beyond_policy' });
    const satSug = await replied('13822220006', 'suggestion');
    await h.ok(satSug, 'visit', { level: 'very_satisfied' });
    const bad = await h.t.http('POST', `/api/tickets/${sat}/screening`, { token: h.tokens.supervisor, body: { exclusion: 'no_policy_basis', note: '满意的不需甄别' } });
    expect(bad.status).to.equal(422);
    expect((await h.t.http('POST', `/api/tickets/${med}/screening`, { token: h.tokens.operator, body: { exclusion: 'mediation_or_enforcement', note: 'x' } })).status).to.equal(403);
    const s1 = await h.t.http('POST', `/api/tickets/${med}/screening`, { token: h.tokens.supervisor, body: { exclusion: 'mediation_or_enforcement', note: '执法办案类,部门已依法依规尽职处置' } });
    expect(s1.status).to.equal(200);
    expect(s1.body.events.at(-1)).to.include({ event: 'screening' });
    await h.t.http('POST', `/api/tickets/${pol}/screening`, { token: h.tokens.supervisor, body: { exclusion: 'no_policy_basis', note: '无政策依据,已详细解释' } });
    h.clock.advance(HOUR);
    const to = h.clock.t.toISOString();
    const r = await h.t.http('GET', `/api/tickets/satisfaction-rate?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`, { token: h.tokens.auditor });
    expect(r.status).to.equal(200);
    // 6 visits: satisfied 2 (basically, very); dissatisfied 4, of which 3 excluded → counted 3, rate 2/3
    expect(r.body).to.deep.equal({ visits: 6, satisfied: 2, dissatisfied: 4, excluded: { suggestion: 1, mediationOrEnforcement: 1, noPolicyBasis: 1 }, counted: 3, rate: 2 / 3 });
  });

  it('given the Twilio adapter, when it sends, then the twilio library posts to the Messages API with E.164 numbers', async () => {
    const requests: any[] = [];
    const httpClient = {
      request: async (opts: any) => {
        requests.push(opts);
        return { statusCode: 201, body: { sid: 'SM' + 'a'.repeat(32), status: 'queued', to: opts.data.To, from: opts.data.From, body: opts.data.Body }, headers: {} };
      },
    };
    const gw = new TwilioSmsGateway({ accountSid: SID, authToken: AUTH, from: '+8610690012345', clientOptions: { httpClient: httpClient as any } });
    const r = await gw.send({ to: '13800138000', body: '【庆阳12345】测试' });
    expect(r).to.deep.equal({ id: 'SM' + 'a'.repeat(32), status: 'queued' });
    expect(requests[0].method.toLowerCase()).to.equal('post');
    expect(requests[0].uri).to.equal(`https://api.twilio.com/2010-04-01/Accounts/${SID}/Messages.json`);
    expect(requests[0].data).to.include({ To: '+8613800138000', From: '+8610690012345', Body: '【庆阳12345】测试' });
    expect(toE164('+44 20 7946 0958')).to.equal('+442079460958');
  });
});
