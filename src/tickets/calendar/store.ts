import { Knex } from 'knex';
import { CalendarDay, DayKind } from './calendar';

/** DB overrides of the shipped calendar (calendar_days): a correction or a new year without a release. */
export class CalendarStore {
  constructor(private readonly knex: Knex) {}

  async list(): Promise<CalendarDay[]> {
    const rows = await this.knex('calendar_days').select(this.knex.raw(`to_char(day, 'YYYY-MM-DD') as day`), 'kind', 'name', 'source').orderBy('day');
    return rows.map((r: { day: string; kind: DayKind; name: string; source: string }) => ({ day: r.day, kind: r.kind, name: r.name, source: r.source }));
  }

  async upsert(days: CalendarDay[]): Promise<void> {
    if (days.length === 0) return;
    await this.knex('calendar_days')
      .insert(days.map((d) => ({ day: d.day, kind: d.kind, name: d.name, source: d.source, updated_at: this.knex.fn.now() })))
      .onConflict('day')
      .merge();
  }

  async remove(day: string): Promise<boolean> {
    return (await this.knex('calendar_days').where({ day }).del()) > 0;
  }
}
