import { expect } from 'chai';
import { predictedWaitSeconds, BusyMonitor, DEFAULT_HANDLING_SECONDS } from '../../src/calls/busy-monitor';
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
});
