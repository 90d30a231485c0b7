import { expect } from 'chai';
import { currentShift, staffing, DayKindSource } from '../../src/calls/staffing';
import { QINGYANG_CENTRES } from '../../src/calls/centres';
import { WorkCalendar } from '../../src/tickets/calendar/calendar';
import { OperatorView } from '../../src/calls/operators';

/** 第二条 7×24 service by shift, on the real 2026 calendar (国庆 holidays and the 调休 Saturday). */
describe('shift profiles: which shift a centre is in', () => {
  const cal = WorkCalendar.fromDefaultFile([]);
  const days: DayKindSource = { kindOf: (d) => (cal.entry(d)?.kind === 'holiday' ? 'holiday' : cal.isWorkingDay(d) ? 'workday' : 'weekend') };
  const city = QINGYANG_CENTRES.find((c) => c.code === 'QY')!;
  const at = (iso: string) => new Date(iso).getTime();
  const table: Array<[string, string, string]> = [
    ['a Tuesday morning', '2026-09-29T10:00:00+08:00', '白班'],
    ['a Tuesday night', '2026-09-29T22:00:00+08:00', '夜班'],
    ['after midnight into Wednesday', '2026-09-30T03:00:00+08:00', '夜班'],
    ['国庆 (a statutory holiday) morning', '2026-10-01T10:00:00+08:00', '节假日白班'],
    ['the 调休 Saturday 2026-10-10 (a working day)', '2026-10-10T10:00:00+08:00', '白班'],
    ['an ordinary Sunday', '2026-10-11T10:00:00+08:00', '周末白班'],
  ];
  for (const [what, iso, shift] of table) {
    it(`given ${what}, when asked, then the city centre is in ${shift}`, () => {
      expect(currentShift(city.shiftProfiles, at(iso), days)?.name).to.equal(shift);
    });
  }

  it('given operators logged in, when staffing is computed, then it counts them against the shift target', () => {
    const ops = [
      { queues: ['q-qy'], state: 'ready' },
      { queues: ['q-qy'], state: 'on_call' },
      { queues: ['q-qy'], state: 'paused' },
      { queues: ['q-xf'], state: 'ready' },
    ] as OperatorView[];
    const [qy] = staffing([city], ops, at('2026-09-29T10:00:00+08:00'), days);
    expect(qy).to.deep.equal({ centre: 'QY', queue: 'q-qy', shift: '白班', targetStaff: 12, loggedIn: 3, ready: 1, onCall: 1, paused: 1, unbound: 0 });
  });

  it('given seats Asterisk has in the queue with no account signed in (the demo\'s simulated operators), when staffing is computed, then they count too, as the wallboard\'s 通话中 does', () => {
    const ops = [{ serverId: 'demo', interface: 'PJSIP/1001', queues: ['q-qy'], state: 'on_call' }] as OperatorView[];
    const members = [
      { serverId: 'demo', queue: 'q-qy', memberInterface: 'PJSIP/1001', paused: false, status: 2, inCall: true }, // the signed-in operator: counted once
      { serverId: 'demo', queue: 'q-qy', memberInterface: 'PJSIP/sim-1', paused: false, status: 2, inCall: true },
      { serverId: 'demo', queue: 'q-qy', memberInterface: 'PJSIP/sim-2', paused: false, status: 6, inCall: false }, // ringing
      { serverId: 'demo', queue: 'q-qy', memberInterface: 'PJSIP/sim-3', paused: false, status: 1, inCall: false },
      { serverId: 'demo', queue: 'q-qy', memberInterface: 'PJSIP/sim-4', paused: true, status: 1, inCall: false },
      { serverId: 'demo', queue: 'q-qy', memberInterface: 'PJSIP/sim-5', paused: false, status: 5, inCall: false }, // unavailable: not staffed
    ];
    const [qy] = staffing([city], ops, at('2026-09-29T10:00:00+08:00'), days, members);
    expect(qy).to.include({ loggedIn: 5, onCall: 3, ready: 1, paused: 1, unbound: 4 });
  });
});
