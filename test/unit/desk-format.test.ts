import { expect } from 'chai';
import { mmss, remainingText } from '../../web/src/format';

/** Issue 12: the desks' wording of working time left (第二十一条 limits run in working time) and of durations. */
describe('the desks\' time formatting', () => {
  const DAY = 420; // 8:30-12:00 and 14:00-17:30

  it('given working minutes left, when worded, then whole working days, hours and minutes are said as the desk says them', () => {
    expect(remainingText(DAY + 180, DAY, false)).to.equal('剩余 1个工作日3小时');
    expect(remainingText(2 * DAY, DAY, false)).to.equal('剩余 2个工作日');
    expect(remainingText(125, DAY, false)).to.equal('剩余 2小时');
    expect(remainingText(45, DAY, false)).to.equal('剩余 45分钟');
    expect(remainingText(44.6, DAY, false)).to.equal('剩余 45分钟');
  });

  it('given a deadline past, when worded, then it says 已超期 with the working time past', () => {
    expect(remainingText(-120, DAY, true)).to.equal('已超期 2小时');
    expect(remainingText(-(DAY + 60), DAY, true)).to.equal('已超期 1个工作日1小时');
    expect(remainingText(0, DAY, true)).to.equal('已超期 0分钟');
    expect(remainingText(-30, DAY)).to.equal('已超期 30分钟');
  });

  it('given a deadline not yet due with no working minutes left (due before the office opens), then it is not called overdue', () => {
    expect(remainingText(0, DAY, false)).to.equal('剩余 0分钟');
  });

  it('given no remaining time or no working-day length, then nothing is said, or a 7-hour day is assumed', () => {
    expect(remainingText(undefined, DAY)).to.equal('');
    expect(remainingText(420 + 60, undefined, false)).to.equal('剩余 1个工作日1小时');
  });

  it('given seconds, when shown as 分:秒, then two digits each; nothing known is a dash', () => {
    expect(mmss(0)).to.equal('00:00');
    expect(mmss(75.4)).to.equal('01:15');
    expect(mmss(3599)).to.equal('59:59');
    expect(mmss(-3)).to.equal('00:00');
    expect(mmss(null)).to.equal('—');
    expect(mmss(Number.NaN)).to.equal('—');
  });
});
