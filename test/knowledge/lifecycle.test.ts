import { expect } from 'chai';
import { createTestDatabase, TestDatabase } from '../support/db';
import { AppError } from '../../src/http/errors';
import { content, knowledgeOn, operator, publish, reviewer, unitHandler } from './helpers';

async function rejects(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected an AppError');
}

describe('knowledge entry lifecycle and review', () => {
  let db: TestDatabase;
  let k: ReturnType<typeof knowledgeOn>;
  before(async () => {
    db = await createTestDatabase();
    k = knowledgeOn(db.knex);
    await k.search.start();
  });
  after(async () => {
    await k.search.stop();
    await db.destroy();
  });

  it('given a unit draft, when it goes submit → return → submit → approve → publish, then each step is versioned with who and why and only the published entry is searchable', async () => {
    const unit = unitHandler();
    const rev = reviewer();
    const e = await k.service.create(content({ question: '灵活就业人员在哪里办理养老保险参保？' }), unit);
    expect(e.state).to.equal('draft');
    expect(k.search.current.search('灵活就业 养老保险 参保').map((h) => h.id)).to.not.include(e.id);

    await k.service.transition(e.id, 'submit', null, unit);
    const returned = await k.service.transition(e.id, 'return', '依据缺少文号，请补充', rev);
    expect(returned.state).to.equal('draft');
    expect(returned.reviewNote).to.equal('依据缺少文号，请补充');
    await k.service.update(e.id, { basis: [{ document: '中华人民共和国社会保险法', number: '主席令第35号', article: '第十条' }] }, '补充文号', unit);
    await k.service.transition(e.id, 'submit', null, unit);
    await k.service.transition(e.id, 'approve', null, rev);
    const pub = await k.service.transition(e.id, 'publish', null, rev);
    expect(pub.state).to.equal('published');
    expect(k.search.current.search('灵活就业 养老保险 参保').map((h) => h.id)).to.include(e.id);

    const versions = await k.store.versions(e.id);
    expect(versions.map((v) => v.action)).to.deep.equal(['create', 'submit', 'return', 'update', 'submit', 'approve', 'publish']);
    const ret = versions.find((v) => v.action === 'return')!;
    expect(ret).to.include({ actor: rev.username, reason: '依据缺少文号，请补充', fromState: 'submitted', toState: 'draft' });
    const upd = versions.find((v) => v.action === 'update')!;
    expect(upd.changedFields).to.deep.equal(['basis']);
    expect(upd).to.include({ actor: unit.username, actorUnit: 'QY-RSJ', reason: '补充文号' });
    expect((upd.snapshot.basis as { number: string }[])[0].number).to.equal('主席令第35号');
    expect(versions.map((v) => v.version)).to.deep.equal([1, 2, 3, 4, 5, 6, 7]);

    const audit = await k.audit.list({ targetType: 'kb_entry', targetId: String(e.id) });
    expect(audit.map((a) => a.action)).to.include.members(['knowledge.entry.return', 'knowledge.entry.publish']);
  });

  it('given a draft, when it is approved or published directly, then 409 knowledge.illegal_transition names the states', async () => {
    const unit = unitHandler();
    const e = await k.service.create(content({ question: '非法流转测试条目？' }), unit);
    const err = await rejects(k.service.transition(e.id, 'publish', null, reviewer()));
    expect(err.status).to.equal(409);
    expect(err.id).to.equal('knowledge.illegal_transition');
    expect(err.details).to.include({ from: 'draft', event: 'publish' });
    const err2 = await rejects(k.service.transition(e.id, 'revise', '想改', unit));
    expect(err2.id).to.equal('knowledge.illegal_transition');
    expect((await k.store.get(e.id))!.state).to.equal('draft');
  });

  it('given a submitted entry, when the submitter (a supervisor) approves it, then 409 knowledge.self_review', async () => {
    const sup = reviewer();
    const e = await k.service.create(content({ question: '四眼原则测试？' }), sup, { submit: true });
    const err = await rejects(k.service.transition(e.id, 'approve', null, sup));
    expect(err.id).to.equal('knowledge.self_review');
    expect((await k.service.transition(e.id, 'approve', null, reviewer())).state).to.equal('approved');
  });

  it('given roles, when the wrong person acts, then units cannot approve, cannot touch another unit, and returns need a reason', async () => {
    const unit = unitHandler('QY-RSJ');
    const other = unitHandler('QY-YBJ');
    expect((await rejects(k.service.create(content(), other))).status).to.equal(403);
    const e = await k.service.create(content({ question: '角色校验条目？' }), unit, { submit: true });
    expect((await rejects(k.service.transition(e.id, 'approve', null, unit))).status).to.equal(403);
    expect((await rejects(k.service.transition(e.id, 'approve', null, operator()))).status).to.equal(403);
    expect((await rejects(k.service.transition(e.id, 'return', '  ', reviewer()))).id).to.equal('knowledge.reason_required');
    expect((await rejects(k.service.get(e.id, other))).status).to.equal(404);
  });

  it('given a published entry, when it is edited in place, then 409; when revised, the old answer stays searchable until the revision is published and is then withdrawn', async () => {
    const unit = unitHandler();
    const pub = await publish(k.service, content({ question: '退休人员养老金什么时候发放？', answer: '每月10日前发放。' }), unit);
    expect((await rejects(k.service.update(pub.id, { answer: '每月15日前发放。' }, '调整', unit))).id).to.equal('knowledge.entry_not_editable');

    const rev = await k.service.revise(pub.id, unit, '发放日调整');
    expect(rev).to.include({ state: 'draft', supersedesId: pub.id });
    expect((await rejects(k.service.revise(pub.id, unit, '再来一次'))).id).to.equal('knowledge.revision_exists');
    await k.service.update(rev.id, { answer: '每月15日前发放。' }, '发放日调整', unit);
    expect(k.search.current.search('养老金 发放').map((h) => h.id)).to.include(pub.id);

    await k.service.transition(rev.id, 'submit', null, unit);
    const r = reviewer();
    await k.service.transition(rev.id, 'approve', null, r);
    await k.service.transition(rev.id, 'publish', null, r);
    const ids = k.search.current.search('养老金 发放').map((h) => h.id);
    expect(ids).to.include(rev.id);
    expect(ids).to.not.include(pub.id);
    const old = (await k.store.get(pub.id))!;
    expect(old.state).to.equal('withdrawn');
    expect(old.reviewNote).to.contain(`#${rev.id}`);
  });

  it('given a published entry, when the unit withdraws it with a reason, then it leaves the index and may be revised back to draft', async () => {
    const unit = unitHandler();
    const pub = await publish(k.service, content({ question: '失业金申领需要什么材料？', answer: '身份证和社保卡。' }), unit);
    expect(k.search.current.search('失业金 申领 材料').map((h) => h.id)).to.include(pub.id);
    await k.service.transition(pub.id, 'withdraw', '政策已调整', unit);
    expect(k.search.current.search('失业金 申领 材料').map((h) => h.id)).to.not.include(pub.id);
    const back = await k.service.transition(pub.id, 'revise', '按新政策重写', unit);
    expect(back.state).to.equal('draft');
  });

  it('given a removal time before the effective time, when creating, then 422 knowledge.invalid_window', async () => {
    const now = Date.now();
    const err = await rejects(k.service.create(content({ effectiveFrom: new Date(now), removalAt: new Date(now - 1000) }), unitHandler()));
    expect(err).to.include({ status: 422, id: 'knowledge.invalid_window' });
  });
});
