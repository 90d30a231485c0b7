import { expect } from 'chai';
import { createTestDatabase, TestDatabase } from '../support/db';
import { AuditStore } from '../../src/audit/store';
import { KnowledgeQuestions } from '../../src/knowledge/questions';
import { ticketsWorkingCalendar } from '../../src/knowledge/calendar';
import { operator, unitHandler } from './helpers';

/** Beijing wall time → instant. */
const bj = (s: string) => new Date(`${s}+08:00`);

describe('知识提问: units answer within 2 working days (第二十四条(二)) on the tickets’ calendar', () => {
  let db: TestDatabase;
  let now: Date;
  let questions: KnowledgeQuestions;
  before(async () => {
    db = await createTestDatabase();
    questions = new KnowledgeQuestions(db.knex, ticketsWorkingCalendar(), new AuditStore(db.knex), () => now);
  });
  after(() => db.destroy());

  const askAt = async (at: string, unitCode = 'QY-RSJ') => {
    now = bj(at);
    return questions.ask({ question: `测试提问 ${at}`, unitCode }, operator());
  };

  it('given a question asked on a Friday, when its due time is computed, then the weekend is skipped (due Tuesday at close of office hours)', async () => {
    const q = await askAt('2026-11-27T10:00:00'); // Friday
    expect(q.dueAt.toISOString()).to.equal(bj('2026-12-01T17:30:00').toISOString());
  });

  it('given a question asked the day before the National Day holiday, when its due time is computed, then the holiday week is skipped', async () => {
    const q = await askAt('2026-09-30T15:00:00'); // 10-01..10-07 国庆节
    expect(q.dueAt.toISOString()).to.equal(bj('2026-10-09T17:30:00').toISOString());
  });

  it('given a question asked before a 调休 Saturday, when its due time is computed, then the make-up working Saturday counts', async () => {
    const q = await askAt('2026-10-09T09:00:00'); // Fri; Sat 10-10 is a working day
    expect(q.dueAt.toISOString()).to.equal(bj('2026-10-12T17:30:00').toISOString());
  });

  it('given open questions, when time passes their due time, then only the unanswered overdue ones are listed, oldest due first, and a late answer is marked overdue', async () => {
    const a = await askAt('2026-03-02T09:00:00', 'QY-OVD'); // Mon → due Wed 03-04 17:30
    const b = await askAt('2026-03-03T09:00:00', 'QY-OVD'); // Tue → due Thu 03-05 17:30
    const c = await askAt('2026-03-04T09:00:00', 'QY-OVD'); // Wed → due Fri 03-06 17:30
    const unit = unitHandler('QY-OVD');
    now = bj('2026-03-04T17:29:59');
    expect((await questions.list({ overdue: true, unitCode: 'QY-OVD' }, operator())).map((q) => q.id)).to.deep.equal([]);
    now = bj('2026-03-05T18:00:00');
    expect((await questions.list({ overdue: true, unitCode: 'QY-OVD' }, operator())).map((q) => q.id)).to.deep.equal([a.id, b.id]);

    const answered = await questions.answer(a.id, { answer: '已补充完善知识库。' }, unit);
    expect(answered).to.include({ state: 'answered', overdue: true });
    const onTime = await questions.answer(c.id, { answer: '已补充。' }, unit);
    expect(onTime.overdue).to.equal(false);
    expect((await questions.list({ overdue: true, unitCode: 'QY-OVD' }, operator())).map((q) => q.id)).to.deep.equal([b.id]);
    // A unit sees only its own questions.
    const mine = await questions.list({}, unitHandler('QY-OTHER'));
    expect(mine.map((q) => q.id)).to.not.include(b.id);
  });

  it('given an answered question, when answered again, then 409 knowledge.question_closed; another unit cannot answer it', async () => {
    const q = await askAt('2026-03-10T09:00:00', 'QY-A');
    try {
      await questions.answer(q.id, { answer: '不是我们单位的' }, unitHandler('QY-B'));
      expect.fail('another unit answered');
    } catch (err) {
      expect((err as { status: number }).status).to.equal(404);
    }
    await questions.answer(q.id, { answer: '已答复' }, unitHandler('QY-A'));
    try {
      await questions.answer(q.id, { answer: '再答一次' }, unitHandler('QY-A'));
      expect.fail('answered twice');
    } catch (err) {
      expect((err as { id: string }).id).to.equal('knowledge.question_closed');
    }
  });

  it('given an open question, when the answer names an entry that does not exist, then 422 knowledge.entry_not_found and the question stays open (found by the fuzz pass as a 500)', async () => {
    const q = await askAt('2026-03-10T09:00:00', 'QY-A');
    try {
      await questions.answer(q.id, { answer: '见知识条目', entryId: 999987 }, unitHandler('QY-A'));
      expect.fail('answered with a missing entry');
    } catch (err) {
      expect(err).to.include({ status: 422, id: 'knowledge.entry_not_found' });
    }
    expect((await questions.list({ unitCode: 'QY-A', state: 'open' }, operator())).map((x) => x.id)).to.include(q.id);
  });

  it('given a unit directory, when a question names a unit not in it (or stopped), then it is refused in Chinese and nothing is stored', async () => {
    await db.knex('units').insert([{ code: 'QY-DIR', name: '目录测试单位', kind: 'department', active: true }, { code: 'QY-OLD', name: '已撤销单位', kind: 'department', active: false }]);
    try {
      const before = Number(((await db.knex('kb_questions').count({ n: '*' }).first()) as { n: string }).n);
      for (const code of ['QY-NOPE', 'QY-OLD']) {
        const err = await askAt('2026-11-27T10:00:00', code).then(() => null, (e: { status: number; id: string; message: string }) => e);
        expect(err, code).to.include({ status: 422, id: 'knowledge.unknown_unit' });
        expect(err!.message).to.match(/[\u4e00-\u9fff]/);
      }
      expect(Number(((await db.knex('kb_questions').count({ n: '*' }).first()) as { n: string }).n)).to.equal(before);
      expect((await askAt('2026-11-27T10:00:00', 'QY-DIR')).unitCode).to.equal('QY-DIR');
    } finally {
      await db.knex('kb_questions').whereIn('unit_code', ['QY-DIR']).del();
      await db.knex('units').whereIn('code', ['QY-DIR', 'QY-OLD']).del();
    }
  });
});
