import { expect } from 'chai';
import { createTestDatabase, TestDatabase } from '../support/db';
import { until } from '../support/until';
import { SYSTEM_ACTOR } from '../../src/knowledge/types';
import { content, knowledgeOn, publish, reviewer, unitHandler } from './helpers';

describe('knowledge validity windows (生效 / 下架, 第二十四条(三))', () => {
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

  const ids = (q: string, at?: Date) => k.search.current.search(q, { at }).map((h) => h.id);

  it('given a published entry with a removal time, when searched one millisecond before and one second after it, then it is found and then not found', async () => {
    const removalAt = new Date(Date.now() + 3_600_000);
    const e = await publish(k.service, content({ question: '住房公积金异地转移怎么办理？', answer: '通过全国住房公积金小程序申请转移接续。', removalAt }));
    expect(ids('公积金 转移', new Date(removalAt.getTime() - 1))).to.include(e.id);
    expect(ids('公积金 转移', removalAt)).to.not.include(e.id);
    expect(ids('公积金 转移', new Date(removalAt.getTime() + 1000))).to.not.include(e.id);
  });

  it('given an entry whose removal time passes on the real clock, when searched one second later, then it is gone although no expiry job has run', async () => {
    const removalAt = new Date(Date.now() + 1200);
    const e = await publish(k.service, content({ question: '医保卡丢了怎么补办？', answer: '携带身份证到医保经办窗口补办。', removalAt }));
    expect(ids('医保卡 补办')).to.include(e.id);
    await until(() => Date.now() >= removalAt.getTime() + 1000, { timeoutMs: 5000, what: 'one second past the removal time' });
    expect(ids('医保卡 补办')).to.not.include(e.id);
    // Still `published` in the database: hiding it did not depend on the job.
    expect((await k.store.get(e.id))!.state).to.equal('published');

    const expired = await k.service.expireDue(SYSTEM_ACTOR('expiry'));
    expect(expired).to.include(e.id);
    expect((await k.store.get(e.id))!.state).to.equal('expired');
    const last = (await k.store.versions(e.id)).pop()!;
    expect(last).to.include({ action: 'expire', actor: 'system:expiry', toState: 'expired' });
  });

  it('given a published entry that takes effect tomorrow, when searched now, then it is not found, and at its effective time it is', async () => {
    const effectiveFrom = new Date(Date.now() + 86_400_000);
    const e = await publish(k.service, content({ question: '新版城乡居民医保缴费标准是多少？', answer: '按新标准缴费。', effectiveFrom }));
    expect(ids('城乡居民 医保 缴费标准')).to.not.include(e.id);
    expect(ids('城乡居民 医保 缴费标准', new Date(effectiveFrom.getTime() - 1000))).to.not.include(e.id);
    expect(ids('城乡居民 医保 缴费标准', effectiveFrom)).to.include(e.id);
  });

  it('given an approved entry whose removal time has already passed, when published, then 409 knowledge.already_removed', async () => {
    const unit = unitHandler();
    const e = await k.service.create(content({ question: '已经过期的通知还能发布吗？', effectiveFrom: new Date(Date.now() - 10_000), removalAt: new Date(Date.now() + 300) }), unit, { submit: true });
    const r = reviewer();
    await k.service.transition(e.id, 'approve', null, r);
    await until(() => Date.now() > e.removalAt!.getTime(), { what: 'removal time' });
    try {
      await k.service.transition(e.id, 'publish', null, r);
      expect.fail('published an entry past its removal time');
    } catch (err) {
      expect((err as { id: string }).id).to.equal('knowledge.already_removed');
    }
  });
});
