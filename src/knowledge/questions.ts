import { Knex } from 'knex';
import { AuditStore } from '../audit/store';
import { conflict, notFound, unprocessable } from '../http/errors';
import { WorkingCalendar, QUESTION_ANSWER_WORKING_DAYS } from './calendar';
import { assertUnit, isReviewer } from './permissions';
import { Actor } from './types';

export interface KnowledgeQuestion {
  id: number;
  question: string;
  context: string | null;
  unitCode: string;
  state: 'open' | 'answered' | 'cancelled';
  askedBy: number | null;
  askedByName: string;
  askedAt: Date;
  dueAt: Date;
  answer: string | null;
  answeredBy: number | null;
  answeredByName: string | null;
  answeredAt: Date | null;
  entryId: number | null;
  /** Open past its due time, or answered after it. */
  overdue: boolean;
}

type Row = Record<string, any>;

function toQuestion(r: Row, now: number): KnowledgeQuestion {
  const dueAt = new Date(r.due_at);
  const answeredAt = r.answered_at ? new Date(r.answered_at) : null;
  return {
    id: Number(r.id),
    question: r.question,
    context: r.context,
    unitCode: r.unit_code,
    state: r.state,
    askedBy: r.asked_by === null ? null : Number(r.asked_by),
    askedByName: r.asked_by_name,
    askedAt: new Date(r.asked_at),
    dueAt,
    answer: r.answer,
    answeredBy: r.answered_by === null ? null : Number(r.answered_by),
    answeredByName: r.answered_by_name,
    answeredAt,
    entryId: r.entry_id === null ? null : Number(r.entry_id),
    overdue: r.state === 'open' ? now > dueAt.getTime() : !!answeredAt && answeredAt.getTime() > dueAt.getTime(),
  };
}

/**
 * 知识提问 (第二十四条(二)): when the knowledge base has no answer, the hotline asks the responsible
 * unit, which must complete it within 2 working days on the same working-day calendar as tickets.
 */
export class KnowledgeQuestions {
  constructor(
    private readonly knex: Knex,
    private readonly calendar: WorkingCalendar,
    private readonly audit: AuditStore,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async ask(input: { question: string; context?: string | null; unitCode: string }, actor: Actor): Promise<KnowledgeQuestion> {
    const askedAt = this.now();
    const dueAt = this.calendar.addWorkingDays(askedAt, QUESTION_ANSWER_WORKING_DAYS);
    // Where the centre keeps its unit directory (承办单位), a question goes only to a unit in it that is active.
    const units = (await this.knex('units').count({ n: '*' }).first()) as { n: string | number };
    if (Number(units.n) > 0 && !(await this.knex('units').where({ code: input.unitCode, active: true }).first('code'))) {
      throw unprocessable('knowledge.unknown_unit', `承办单位 ${input.unitCode} 不存在或已停用`, { unitCode: input.unitCode });
    }
    return this.knex.transaction(async (trx) => {
      const [row] = await trx('kb_questions')
        .insert({ question: input.question, context: input.context ?? null, unit_code: input.unitCode, asked_by: actor.userId, asked_by_name: actor.displayName ?? actor.username, asked_at: askedAt, due_at: dueAt })
        .returning('*');
      await this.audit.record({ actorUserId: actor.userId, actor: actor.username, action: 'knowledge.question.ask', targetType: 'kb_question', targetId: String(row.id), requestId: actor.requestId ?? null, details: { unitCode: input.unitCode, dueAt: dueAt.toISOString() } }, trx);
      return toQuestion(row, askedAt.getTime());
    });
  }

  async get(id: number, actor: Actor): Promise<KnowledgeQuestion> {
    const r = await this.knex('kb_questions').where({ id }).first();
    if (!r || (onlyUnit(actor) && r.unit_code !== actor.unitCode)) throw notFound('knowledge.question_not_found', `知识提问 ${id} 不存在`, { id });
    return toQuestion(r, this.now().getTime());
  }

  /** The unit's answer; optionally linked to the entry it wrote from it. */
  async answer(id: number, input: { answer: string; entryId?: number | null }, actor: Actor): Promise<KnowledgeQuestion> {
    return this.knex.transaction(async (trx) => {
      const r = await trx('kb_questions').where({ id }).forUpdate().first();
      if (!r || (onlyUnit(actor) && r.unit_code !== actor.unitCode)) throw notFound('knowledge.question_not_found', `知识提问 ${id} 不存在`, { id });
      assertUnit(actor, r.unit_code);
      if (r.state !== 'open') throw conflict('knowledge.question_closed', '该知识提问已答复或已撤销', { state: r.state });
      // The entry named as the answer must exist (the foreign key would refuse it as a 500 otherwise).
      if (input.entryId != null && !(await trx('kb_entries').where({ id: input.entryId }).first('id'))) {
        throw unprocessable('knowledge.entry_not_found', `知识条目 ${input.entryId} 不存在`, { entryId: input.entryId });
      }
      const at = this.now();
      const [row] = await trx('kb_questions')
        .where({ id })
        .update({ state: 'answered', answer: input.answer, entry_id: input.entryId ?? null, answered_by: actor.userId, answered_by_name: actor.displayName ?? actor.username, answered_at: at })
        .returning('*');
      const q = toQuestion(row, at.getTime());
      await this.audit.record({ actorUserId: actor.userId, actor: actor.username, action: 'knowledge.question.answer', targetType: 'kb_question', targetId: String(id), requestId: actor.requestId ?? null, details: { late: q.overdue, entryId: q.entryId } }, trx);
      return q;
    });
  }

  async cancel(id: number, reason: string, actor: Actor): Promise<KnowledgeQuestion> {
    return this.knex.transaction(async (trx) => {
      const r = await trx('kb_questions').where({ id }).forUpdate().first();
      if (!r) throw notFound('knowledge.question_not_found', `知识提问 ${id} 不存在`, { id });
      if (!isReviewer(actor) && r.asked_by !== actor.userId) throw conflict('knowledge.question_not_yours', '只能撤销自己发起的知识提问', {});
      if (r.state !== 'open') throw conflict('knowledge.question_closed', '该知识提问已答复或已撤销', { state: r.state });
      const [row] = await trx('kb_questions').where({ id }).update({ state: 'cancelled' }).returning('*');
      await this.audit.record({ actorUserId: actor.userId, actor: actor.username, action: 'knowledge.question.cancel', targetType: 'kb_question', targetId: String(id), requestId: actor.requestId ?? null, details: { reason } }, trx);
      return toQuestion(row, this.now().getTime());
    });
  }

  /** Questions, newest first; `overdue` lists open ones past their due time, oldest due first. */
  async list(f: { state?: KnowledgeQuestion['state']; unitCode?: string; overdue?: boolean; limit?: number }, actor: Actor): Promise<KnowledgeQuestion[]> {
    const now = this.now();
    const q = this.knex('kb_questions').limit(Math.min(f.limit ?? 100, 500));
    const unit = onlyUnit(actor) ? actor.unitCode ?? '\u0000' : f.unitCode;
    if (unit) q.where('unit_code', unit);
    if (f.overdue) q.where('state', 'open').andWhere('due_at', '<', now).orderBy('due_at', 'asc');
    else {
      if (f.state) q.where('state', f.state);
      q.orderBy('id', 'desc');
    }
    return (await q).map((r: Row) => toQuestion(r, now.getTime()));
  }
}

const onlyUnit = (a: Actor) => a.roles.every((r) => r === 'unit_handler');
