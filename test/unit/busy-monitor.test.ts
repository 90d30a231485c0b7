import { expect } from 'chai';
import { predictedWaitSeconds, queueStaff, BusyMonitor, DEFAULT_HANDLING_SECONDS } from '../../src/calls/busy-monitor';
import { PbxControl } from '../../src/calls/pbx';
import { OperatorView } from '../../src/calls/operators';
import { silentLogger } from '../../src/logging/logger';

const waiting = (n: number) => Array.from({ length: n }, (_, i) => ({ channelId: `c${i}`, caller: '', since: 0, position: i + 1 }));

describe('busy fallback: predicted wait (第二十条(二))', () => {
  const table: Array<[string, number, number | null, { idle: number; working: number }, number]> = [
    ['an idle operator for every caller ahead', 1, 200, { idle: 2, working: 2 }, 0],
    ['two ahead, one idle, two working, AHT 200 s', 2, 200, { idle: 1, working: 2 }, 150],
    ['three ahead, none idle, three working, AHT 90 s', 3, 90, { idle: 0, working: 3 }, 105],
    ['nobody ahead and nobody idle: half the default handling time', 0, null, { idle: 0, working: 1 }, DEFAULT_HANDLING_SECONDS / 2],
    ['everybody paused', 0, 100, { idle: 0, working: 0 }, Number.POSITIVE_INFINITY],
  ];
  for (const [what, ahead, aht, staff, expected] of table) {
    it(`given ${what}, when predicted, then ${expected} s`, () => {
      expect(predictedWaitSeconds({ waiting: waiting(ahead), averageHandlingTime: aht }, staff)).to.equal(expected);
    });
  }

  it('given a queue over the threshold, when evaluated, then it is marked in AstDB with an expiry, renewed, and unmarked when it recovers', async () => {
    const puts: Array<[string, string, string]> = [];
    const dels: Array<[string, string]> = [];
    const pbx = { serverIds: () => ['qy'], dbPut: async (_s: string, f: string, k: string, v: string) => void puts.push([f, k, v]), dbDel: async (_s: string, f: string, k: string) => void dels.push([f, k]) } as unknown as PbxControl;
    const m = new BusyMonitor(pbx, 120, silentLogger());
    const op = { queues: ['q-qy'], state: 'on_call' } as OperatorView;
    const board = { queue: 'q-qy', waiting: waiting(3), averageHandlingTime: 100 } as never;
    expect(await m.evaluate([board], [op], 1_000_000)).to.deep.equal(['q-qy']);
    expect(puts).to.deep.equal([['hotline-busy', 'q-qy', String(1000 + 30)]]);
    await m.evaluate([board], [op], 1_005_000);
    expect(puts, 'not renewed within a third of the mark').to.have.length(1);
    await m.evaluate([board], [op], 1_011_000);
    expect(puts).to.have.length(2);
    const calm = { queue: 'q-qy', waiting: [], averageHandlingTime: 100 } as never;
    expect(await m.evaluate([calm], [op], 1_012_000)).to.deep.equal([]);
    expect(dels).to.deep.equal([['hotline-busy', 'q-qy']]);
  });
  it('given marks a previous leader left in AstDB, when adopted and evaluated calm, then the live one is removed and the expired or garbled ones are left to expire', async () => {
    const dels: Array<[string, string]> = [];
    const marks = { 'q-qy': String(1_000 + 20), 'q-hx': String(1_000 - 5), 'q-xf': 'garbage' };
    const pbx = { serverIds: () => ['qy'], dbList: async () => marks, dbPut: async () => undefined, dbDel: async (_s: string, f: string, k: string) => void dels.push([f, k]) } as unknown as PbxControl;
    const m = new BusyMonitor(pbx, 120, silentLogger());
    expect(await m.adopt('qy', 1_000_000)).to.deep.equal(['q-qy']);
    const op = { queues: ['q-qy', 'q-hx', 'q-xf'], state: 'ready' } as OperatorView;
    const calm = (queue: string) => ({ queue, waiting: [], averageHandlingTime: 100 }) as never;
    expect(await m.evaluate([calm('q-qy'), calm('q-hx'), calm('q-xf')], [op], 1_001_000)).to.deep.equal([]);
    expect(dels).to.deep.equal([['hotline-busy', 'q-qy']]);
  });

  it('given an adopted mark and the queue still over the threshold, when evaluated, then the mark is renewed only once a third of its life has passed', async () => {
    const puts: string[] = [];
    const pbx = { serverIds: () => ['qy'], dbList: async () => ({ 'q-qy': String(1_000 + 28) }), dbPut: async (_s: string, _f: string, _k: string, v: string) => void puts.push(v), dbDel: async () => undefined } as unknown as PbxControl;
    const m = new BusyMonitor(pbx, 120, silentLogger());
    await m.adopt('qy', 1_000_000);
    const op = { queues: ['q-qy'], state: 'on_call' } as OperatorView;
    const board = { queue: 'q-qy', waiting: waiting(3), averageHandlingTime: 100 } as never;
    expect(await m.evaluate([board], [op], 1_001_000)).to.deep.equal(['q-qy']);
    expect(puts, 'set 2 s ago: not renewed yet').to.deep.equal([]);
    await m.evaluate([board], [op], 1_009_000);
    expect(puts).to.deep.equal([String(1_009 + 30)]);
  });
  it('given a night shift of one operator being rung for the one caller waiting, when the staff is counted, then that caller is about to be answered: the next one waits half a call (under the threshold), not 1½ calls', () => {
    const ops = [{ queues: ['q-hx'], state: 'ringing' }] as OperatorView[];
    const staff = queueStaff(ops, 'q-hx');
    expect(staff).to.deep.equal({ idle: 1, working: 1 });
    expect(predictedWaitSeconds({ waiting: waiting(1), averageHandlingTime: 180 }, staff)).to.equal(90);
  });

  it('given the one operator on a call and one caller waiting, when predicted, then 1½ handling times (over the 120 s threshold at the default)', () => {
    const staff = queueStaff([{ queues: ['q-hx'], state: 'on_call' }, { queues: ['q-hx'], state: 'paused' }, { queues: ['q-qy'], state: 'ready' }] as OperatorView[], 'q-hx');
    expect(staff).to.deep.equal({ idle: 0, working: 1 });
    expect(predictedWaitSeconds({ waiting: waiting(1), averageHandlingTime: null }, staff)).to.equal(270);
  });
});
