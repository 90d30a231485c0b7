import { expect } from 'chai';
import { startTickets, TicketsHarness } from './helpers';
import { TicketsApi } from '../../src/tickets/feature';
import { searchTerms } from '../../src/tickets/text';

describe('tickets: REST API, numbering, search, links to calls and recordings, calendar overrides', function () {
  this.timeout(60_000);
  let h: TicketsHarness;
  before(async () => {
    h = await startTickets({ at: '2026-11-27T09:30:00+08:00' });
  });
  after(async () => h?.stop());

  it('given 40 tickets created at once, when numbered, then the numbers are unique and consecutive (race-free sequence)', async () => {
    const made = await Promise.all(Array.from({ length: 40 }, (_, i) => h.create({ callerPhone: `1370000${String(i).padStart(4, '0')}`, content: `并发创建测试 第${i}件` })));
    const seqs = made.map((m) => Number(m.no.slice(-6))).sort((a, b) => a - b);
    expect(new Set(made.map((m) => m.no)).size).to.equal(40);
    expect(seqs.at(-1)! - seqs[0]).to.equal(39);
    expect(made.every((m) => m.no.startsWith('QY20261127'))).to.equal(true);
  });

  it('given Chinese tickets, when searched by a phrase, then bigram full text finds them and filters combine', async () => {
    expect(searchTerms('油烟扰民 ABC')).to.equal('油烟 烟扰 扰民 abc');
    const a = await h.create({ callerPhone: '13600000001', content: '幸福小区供暖温度只有十五度', domain: 'public_service', subdomain: 'heating' });
    await h.create({ callerPhone: '13600000002', content: '公交车站台损坏', domain: 'public_service', subdomain: 'public_transport' });
    const r = await h.t.http('GET', `/api/tickets?q=${encodeURIComponent('供暖温度')}`, { token: h.tokens.operator });
    expect(r.body.items.map((i: any) => i.no)).to.deep.equal([a.no]);
    const none = await h.t.http('GET', `/api/tickets?q=${encodeURIComponent('供暖')}&category=consultation`, { token: h.tokens.operator });
    expect(none.body.total).to.equal(0);
    const byNo = await h.t.http('GET', `/api/tickets?q=${a.no}`, { token: h.tokens.operator });
    expect(byNo.body.items.map((i: any) => i.no)).to.deep.equal([a.no]);
    const byPhone = await h.t.http('GET', '/api/tickets?callerPhone=13600000001', { token: h.tokens.operator });
    expect(byPhone.body.items.map((i: any) => i.no)).to.deep.equal([a.no]);
    const bad = await h.t.http('GET', '/api/tickets?status=nonsense', { token: h.tokens.operator });
    expect(bad.status).to.equal(400);
  });

  it('given roles, then units cannot create or dispatch, unknown units are refused, and an unknown ticket is 404', async () => {
    expect((await h.t.http('POST', '/api/tickets', { token: h.tokens.zjj, body: {} })).status).to.equal(403);
    const c = await h.create({ callerPhone: '13600000003', content: '角色测试' });
    expect((await h.act(c.no, 'dispatch', { mainUnit: 'QY-ZJJ' }, h.tokens.zjj)).status).to.equal(403);
    const unknown = await h.act(c.no, 'dispatch', { mainUnit: 'QY-NOPE' });
    expect(unknown.status).to.equal(422);
    expect(unknown.body.error.id).to.equal('ticket.unknown_unit');
    const same = await h.act(c.no, 'dispatch', { mainUnit: 'QY-ZJJ', coUnits: ['QY-ZJJ'] });
    expect(same.body.error.id).to.equal('ticket.main_unit_also_co_unit');
    expect((await h.t.http('GET', '/api/tickets/QY20261127999999', { token: h.tokens.operator })).body.error.id).to.equal('ticket.not_found');
    const county = await h.ok(c.no, 'dispatch', { mainUnit: 'QY-QC' }); // 转至县(区)政府 (第二十条(四)1(3))
    expect(county.mainUnit).to.equal('QY-QC');
  });

  it('given the calls feature, when it links a call and a recording lands later, then both appear on the ticket, idempotently (issue 6 §4)', async () => {
    const api = h.t.service.ctx.services.get('tickets') as TicketsApi;
    const c = await h.create({ callerPhone: '13600000004', content: '通话中建单', linkedid: '1764200000.11' });
    expect(await api.ticketsForCall('1764200000.11')).to.deep.equal([c.no]);
    expect(await api.linkCall(c.no, '1764200000.11', [{ recordingId: 'rec-main-leg', meta: { leg: 'operator' } }])).to.equal(false); // already linked at creation
    expect(await api.recordingLanded({ recordingId: 'rec-transfer-leg', linkedid: '1764200000.11', meta: { leg: 'transfer' } })).to.deep.equal([c.no]);
    expect(await api.recordingLanded({ recordingId: 'rec-transfer-leg', linkedid: '1764200000.11' })).to.deep.equal([]);
    expect(await api.recordingLanded({ recordingId: 'rec-other', linkedid: '1764200000.99' })).to.deep.equal([]);
    const t = await h.get(c.no);
    expect(t.recordings.map((r: any) => [r.recordingId, r.linkedid])).to.have.deep.members([['rec-main-leg', '1764200000.11'], ['rec-transfer-leg', '1764200000.11']]);
    const viaHttp = await h.t.http('POST', `/api/tickets/${c.no}/calls`, { token: h.tokens.operator, body: { linkedid: '1764200000.12' } });
    expect(viaHttp.body).to.deep.equal({ linked: true });
  });

  it('given an admin override of the calendar, when saved, then the clock uses it at once without a restart', async () => {
    const ask = async () => (await h.t.http('GET', `/api/sla/due?from=${encodeURIComponent('2026-09-30T16:00:00+08:00')}&limit=5wd`, { token: h.tokens.operator })).body.due;
    expect(await ask()).to.equal('2026-10-13T17:30:00+08:00');
    expect((await h.t.http('PUT', '/api/calendar/days', { token: h.tokens.operator, body: { days: [] } })).status).to.equal(403);
    const put = await h.t.http('PUT', '/api/calendar/days', { token: h.tokens.admin, body: { days: [{ day: '2026-10-12', kind: 'holiday', name: '测试放假', source: 'test' }] } });
    expect(put.status).to.equal(200);
    expect(await ask()).to.equal('2026-10-14T17:30:00+08:00');
    expect((await h.t.http('DELETE', '/api/calendar/days/2026-10-12', { token: h.tokens.admin })).status).to.equal(200);
    expect(await ask()).to.equal('2026-10-13T17:30:00+08:00');
    const cal = await h.t.http('GET', '/api/calendar?from=2026-10-09&to=2026-10-11', { token: h.tokens.zjj });
    expect(cal.body.days.map((d: any) => [d.day, d.working])).to.deep.equal([['2026-10-09', true], ['2026-10-10', true], ['2026-10-11', false]]);
    expect((await h.t.http('GET', '/api/sla/due?from=2026-09-30T16:00:00%2B08:00&limit=5days', { token: h.tokens.operator })).body.error.id).to.equal('sla.bad_limit');
  });

  it('given /openapi.json, then every ticket route is documented with its roles', async () => {
    const doc = (await h.t.http('GET', '/openapi.json')).body;
    for (const p of ['/api/tickets', '/api/tickets/{no}', '/api/tickets/{no}/dispatch', '/api/tickets/{no}/return/approve', '/api/tickets/{no}/visit', '/api/tickets/{no}/merge', '/api/tickets/sms/inbound', '/api/tickets/satisfaction-rate', '/api/calendar/days']) {
      expect(doc.paths, p).to.have.property(p);
    }
    expect(doc.paths['/api/tickets/{no}/reply'].post['x-roles']).to.deep.equal(['unit_handler']);
    const cat = await h.t.http('GET', '/api/tickets-catalogue', { token: h.tokens.zjj });
    expect(cat.body.categories.consultation).to.equal('咨询');
    expect(cat.body.domains.map((d: any) => d.label)).to.deep.equal(['经济调节', '市场监管', '社会管理', '公共服务', '生态环境保护']);
    const units = await h.t.http('GET', '/api/units?county=QY-XF', { token: h.tokens.zjj });
    expect(units.body.items.map((u: any) => u.code)).to.include.members(['QY-XF', 'QY-XF-NJ']);
  });
});
