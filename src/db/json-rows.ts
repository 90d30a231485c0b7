type Row = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A json column as an object (the drivers parse json; a string is parsed here). */
export const parseJson = <T>(v: unknown): T => (typeof v === 'string' ? JSON.parse(v) : v) as T;

/**
 * A row read as json: its timestamps back to Dates, as the driver gives them for a plain row. In
 * place: the row is the object just parsed from the statement's json, nobody else's (issue #13: a copy
 * of every row of an action's answer).
 */
export function revive(r: Row, dates: readonly string[]): Row {
  for (const k of dates) if (typeof r[k] === 'string') r[k] = new Date(r[k]);
  return r;
}
