import { SlaClock } from '../tickets/sla/clock';
import { WorkCalendar } from '../tickets/calendar/calendar';

/**
 * What 知识提问 needs from a calendar: "2 working days" counted exactly as the tickets count them
 * (第二十四条(二) and 第二十一条 use the same 工作日). The wiring hands in the tickets' clock; this
 * module is the only place the knowledge base touches the tickets' code.
 */
export interface WorkingCalendar {
  addWorkingDays(from: Date, n: number): Date;
}

/** The tickets' SLA clock over the shipped holiday data (statutory holidays and 调休 days). */
export function ticketsWorkingCalendar(officeHours?: string): WorkingCalendar {
  return new SlaClock(WorkCalendar.fromDefaultFile(), officeHours);
}

/** Working days a knowledge question has for its answer (第二十四条(二): 应在2个工作日内补充完善). */
export const QUESTION_ANSWER_WORKING_DAYS = 2;
