import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { WorkCalendar, formatShanghai, loadHolidayFile, parseOfficeHours } from '../../src/tickets/calendar/calendar';
import { SlaClock, parseLimit } from '../../src/tickets/sla/clock';
import { parseFrom } from '../../src/cli/sla';

const clock = new SlaClock(WorkCalendar.fromDefaultFile());
const due = (from: string, limit: string, c = clock) => formatShanghai(c.due(parseFrom(from), parseLimit(limit)));

describe('tickets: working-day calendar (第二十一条 工作日, 国办发明电〔2025〕7号)', () => {
  const cal = WorkCalendar.fromDefaultFile();
  const rows: Array<[string, boolean, string]> = [
    ['2026-01-01', false, '元旦 (Thu)'], ['2026-01-02', false, '元旦 (Fri)'], ['2026-01-04', true, '元旦调休 Sunday'],
    ['2026-02-14', true, '春节调休 Saturday'], ['2026-02-16', false, '春节 Monday'], ['2026-02-23', false, '春节 last day Monday'],
    ['2026-02-24', true, 'after 春节'], ['2026-02-28', true, '春节调休 Saturday'], ['2026-04-06', false, '清明 Monday'],
    ['2026-05-05', false, '劳动节 Tuesday'], ['2026-05-09', true, '劳动节调休 Saturday'], ['2026-06-19', false, '端午 Friday'],
    ['2026-09-20', true, '国庆调休 Sunday'], ['2026-09-25', false, '中秋 Friday'], ['2026-10-07', false, '国庆 Wednesday'],
    ['2026-10-08', true, 'after 国庆 Thursday'], ['2026-10-10', true, '国庆调休 Saturday'], ['2026-10-11', false, 'ordinary Sunday'],
    ['2026-11-28', false, 'ordinary Saturday'], ['2026-11-27', true, 'ordinary Friday'],
    ['2025-01-26', true, '2025 春节调休 Sunday'], ['2025-02-04', false, '2025 春节'], ['2025-02-08', true, '2025 春节调休 Saturday'],
    ['2025-04-27', true, '2025 劳动节调休 Sunday'], ['2025-06-02', false, '2025 端午'], ['2025-09-28', true, '2025 国庆调休 Sunday'],
    ['2025-10-08', false, '2025 国庆中秋'], ['2025-10-11', true, '2025 国庆调休 Saturday'],
  ];
  for (const [day, working, what] of rows) {
    it(`given ${day} (${what}), when asked, then it is ${working ? 'a working day' : 'a rest day'}`, () => {
      expect(cal.isWorkingDay(day)).to.equal(working);
    });
  }

  it('given the shipped data, then 2026 has 7 holidays of 3+9+3+5+3+3+7 days and 6 make-up days', () => {
    const days = loadHolidayFile().filter((d) => d.day.startsWith('2026'));
    expect(days.filter((d) => d.kind === 'holiday')).to.have.length(33);
    expect(days.filter((d) => d.kind === 'workday').map((d) => d.day)).to.deep.equal(['2026-01-04', '2026-02-14', '2026-02-28', '2026-05-09', '2026-09-20', '2026-10-10']);
  });

  it('given a DB override making 2026-10-12 a rest day, when counting 5 working days from 2026-09-30, then the deadline moves a day later', () => {
    const c = new SlaClock(WorkCalendar.fromDefaultFile([{ day: '2026-10-12', kind: 'holiday', name: '测试', source: 'test' }]));
    expect(due('2026-09-30T16:00:00+08:00', '5wd', c)).to.equal('2026-10-14T17:30:00+08:00');
  });

  it('given malformed office hours, when parsed, then it is refused', () => {
    for (const bad of ['9:00-12:00', '12:00-09:00', '09:00-12:00,11:00-13:00', '']) expect(() => parseOfficeHours(bad), bad).to.throw();
  });
});

describe('tickets: SLA clock (第二十一条; 民法典 第二百零一条/第二百零三条)', () => {
  const table: Array<[string, string, string, string]> = [
    // working days: start day not counted, ends at the close of office hours of the Nth working day
    ['2026-09-30T16:00:00+08:00', '5wd', '2026-10-13T17:30:00+08:00', '非咨询 5 working days over 国庆 incl. 10/10 调休 Saturday'],
    ['2026-09-30T16:00:00+08:00', '2wd', '2026-10-09T17:30:00+08:00', '咨询 2 working days after 国庆'],
    ['2026-09-30T16:00:00+08:00', '4wd', '2026-10-12T17:30:00+08:00', '省12345 4 working days'],
    ['2026-09-18T16:00:00+08:00', '1wd', '2026-09-20T17:30:00+08:00', '退单 1 working day lands on the 9/20 调休 Sunday'],
    ['2026-09-24T09:00:00+08:00', '2wd', '2026-09-29T17:30:00+08:00', '紧急 2 working days over 中秋'],
    ['2026-02-13T17:00:00+08:00', '1wd', '2026-02-14T17:30:00+08:00', '2/14 调休 Saturday counts'],
    ['2026-02-13T17:00:00+08:00', '2wd', '2026-02-24T17:30:00+08:00', 'nine days of 春节 skipped'],
    ['2026-02-14T10:00:00+08:00', '5wd', '2026-02-28T17:30:00+08:00', 'started on a 调休 day, ends on the 2/28 调休 Saturday'],
    ['2025-12-31T10:00:00+08:00', '1wd', '2026-01-04T17:30:00+08:00', 'across the year into 元旦 and its 1/4 调休 Sunday'],
    ['2026-04-03T09:00:00+08:00', '2wd', '2026-04-08T17:30:00+08:00', '清明'],
    ['2026-04-30T12:00:00+08:00', '5wd', '2026-05-11T17:30:00+08:00', '劳动节 with the 5/9 调休 Saturday'],
    ['2026-06-18T20:00:00+08:00', '2wd', '2026-06-23T17:30:00+08:00', '端午, accepted after hours'],
    ['2026-11-27T16:00:00+08:00', '5wd', '2026-12-04T17:30:00+08:00', 'ordinary weekend'],
    ['2026-11-28T11:00:00+08:00', '1wd', '2026-11-30T17:30:00+08:00', 'accepted on a Saturday'],
    ['2026-11-26T16:30:00Z', '1wd', '2026-11-30T17:30:00+08:00', 'UTC input that is already Friday in Shanghai'],
    ['2025-09-30T16:00:00+08:00', '5wd', '2025-10-14T17:30:00+08:00', '2025 国庆中秋 with the 10/11 调休 Saturday'],
    ['2025-01-24T10:00:00+08:00', '1wd', '2025-01-26T17:30:00+08:00', '2025 春节 1/26 调休 Sunday'],
    // working hours: only inside 09:00–12:00, 13:30–17:30 on working days (签收 3 个工作小时)
    ['2026-11-27T16:00:00+08:00', '3wh', '2026-11-30T10:30:00+08:00', 'Friday afternoon into Monday'],
    ['2026-11-27T10:00:00+08:00', '3wh', '2026-11-27T14:30:00+08:00', 'over the lunch break'],
    ['2026-11-27T09:00:00+08:00', '3wh', '2026-11-27T12:00:00+08:00', 'ends exactly at noon, not at 13:30'],
    ['2026-11-27T12:30:00+08:00', '3wh', '2026-11-27T16:30:00+08:00', 'dispatched at lunch'],
    ['2026-11-27T07:00:00+08:00', '3wh', '2026-11-27T12:00:00+08:00', 'dispatched before office hours'],
    ['2026-11-27T18:00:00+08:00', '3wh', '2026-11-30T12:00:00+08:00', 'dispatched after close on Friday'],
    ['2026-09-30T16:00:00+08:00', '3wh', '2026-10-08T10:30:00+08:00', 'over 国庆'],
    ['2026-09-19T10:00:00+08:00', '3wh', '2026-09-20T12:00:00+08:00', 'Saturday into the 调休 Sunday'],
    ['2026-02-13T17:00:00+08:00', '3wh', '2026-02-14T11:30:00+08:00', 'into the 春节 调休 Saturday'],
    ['2026-09-30T16:00:00+08:00', '8wh', '2026-10-08T17:00:00+08:00', 'a full day of working hours'],
    // wall clock on 7×24 steps
    ['2026-09-30T23:30:00+08:00', '2h', '2026-10-01T01:30:00+08:00', '转派 2 hours through midnight into a holiday'],
    ['2026-10-01T12:00:00+08:00', '30m', '2026-10-01T12:30:00+08:00', '紧急退单 30 minutes on a holiday'],
    ['2026-02-16T10:00:00+08:00', '24h', '2026-02-17T10:00:00+08:00', '回访 24 hours during 春节'],
  ];
  for (const [from, limit, expected, what] of table) {
    it(`given ${from} and a limit of ${limit} (${what}), when the deadline is computed, then it is ${expected}`, () => {
      expect(due(from, limit)).to.equal(expected);
    });
  }

  it('given office hours 08:30-12:00,14:30-18:00, when computing working days and hours, then the close and the ranges follow the config', () => {
    const c = new SlaClock(WorkCalendar.fromDefaultFile(), '08:30-12:00,14:30-18:00');
    expect(due('2026-09-30T16:00:00+08:00', '5wd', c)).to.equal('2026-10-13T18:00:00+08:00');
    expect(due('2026-11-27T17:00:00+08:00', '3wh', c)).to.equal('2026-11-30T10:30:00+08:00');
  });

  it('given two instants, when counting working minutes between them, then only office time on working days counts', () => {
    expect(clock.workingMinutesBetween(parseFrom('2026-09-30T16:00:00+08:00'), parseFrom('2026-10-08T10:30:00+08:00'))).to.equal(180);
  });

  it('given malformed limits, when parsed, then each is refused with the expected syntax', () => {
    for (const bad of ['0wd', '5', 'wd', '5d', '-1h', '1.5wd', '5 wd']) expect(() => parseLimit(bad), bad).to.throw(/<N>wd/);
  });
});

describe('tickets: `npm run sla -- due` CLI', function () {
  this.timeout(60_000);
  const run = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', path.resolve(__dirname, '../../src/cli/sla.ts'), ...args], { encoding: 'utf8', env: { ...process.env, DATABASE_URL: '' } });

  it('given --from 2026-09-30T16:00+08:00 and --limit 5wd, when run, then it prints 2026-10-13T17:30:00+08:00', () => {
    const r = run('due', '--from', '2026-09-30T16:00:00+08:00', '--limit', '5wd', '--no-db');
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout.trim()).to.equal('2026-10-13T17:30:00+08:00');
  });

  it('given a wall-clock limit in minutes, when run, then it prints the instant with +08:00', () => {
    const r = run('due', '--from', '2026-10-01T04:10:00Z', '--limit', '30m', '--no-db');
    expect(r.stdout.trim()).to.equal('2026-10-01T12:40:00+08:00');
  });

  for (const args of [['due', '--from', 'tomorrow', '--limit', '5wd'], ['due', '--from', '2026-09-30T16:00:00+08:00', '--limit', '5days'], ['due', '--limit', '5wd'], ['when']]) {
    it(`given bad arguments ${JSON.stringify(args)}, when run, then it says what is expected and exits non-zero`, () => {
      const r = run(...args, '--no-db');
      expect(r.status).to.not.equal(0);
      expect(r.stderr).to.match(/usage: npm run -s sla -- due --from <ISO time> --limit/);
      expect(r.stdout).to.equal('');
    });
  }
});
