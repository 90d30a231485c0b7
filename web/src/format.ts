/** Formatting of times as the pages show them; pure functions (no browser state), unit-tested in node. */

/** Seconds as 分:秒 (the operator grid, the waits). */
export function mmss(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  const s = Math.max(0, Math.round(seconds));
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

/**
 * Working time left as the desk says it: 剩余 1个工作日3小时 / 已超期 2小时. `overdue` is the service's
 * word on it: a deadline not yet due can have no working minutes left (due before the office opens
 * tomorrow), and it is not overdue for that.
 */
export function remainingText(minutes: number | undefined, dayMinutes: number | undefined, overdue?: boolean): string {
  if (minutes === undefined) return '';
  const day = dayMinutes || 420;
  const m = Math.round(Math.abs(minutes));
  const d = Math.floor(m / day);
  const h = Math.floor((m % day) / 60);
  const mm = m % 60;
  const parts = `${d ? `${d}个工作日` : ''}${h ? `${h}小时` : ''}${!d && !h ? `${mm}分钟` : ''}`;
  return (overdue ?? minutes <= 0) ? `已超期 ${parts}` : `剩余 ${parts}`;
}
