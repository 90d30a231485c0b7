import { Writable } from 'node:stream';
import { expect } from 'chai';
import { createLogger } from '../../src/logging/logger';
import { maskPhone, maskName, maskPhonesInText } from '../../src/logging/mask';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { lines, stream };
}

describe('personal data in logs (第二十七条)', () => {
  it('given phone numbers, when masked, then only a prefix and the last digits remain', () => {
    expect(maskPhone('13800138000')).to.equal('138****8000');
    expect(maskPhone('+8613800138000')).to.equal('138****8000');
    expect(maskPhone('09348212345')).to.equal('093****2345');
    expect(maskPhone('110')).to.equal('***');
    expect(maskName('欧阳娜娜')).to.equal('欧***');
    expect(maskPhonesInText('来电 13800138000 反映')).to.equal('来电 138****8000 反映');
  });

  it('given a logger, when a caller number is logged as a field, inside a nested object or in the message, then it never appears unmasked', () => {
    const { lines, stream } = capture();
    const log = createLogger({ destination: stream });
    log.info({ caller: '13800138000', call: { callerIdNum: '13912345678', note: 'cb 13700001111' } }, 'call from 13600002222');
    const out = lines.join('');
    for (const n of ['13800138000', '13912345678', '13700001111', '13600002222']) expect(out).not.to.contain(n);
    expect(out).to.contain('138****8000');
    expect(out).to.contain('136****2222');
  });
});

describe('errors in logs', () => {
  it('given a database error quoting a caller number, when logged, then the number is masked', () => {
    const lines: string[] = [];
    const stream = new Writable({ write(c, _e, cb) { lines.push(c.toString()); cb(); } });
    const err = Object.assign(new Error('duplicate key value (caller_phone)=(13912345678)'), { detail: 'Key (caller_phone)=(13912345678) already exists.' });
    createLogger({ destination: stream }).error({ err }, 'insert failed');
    expect(lines.join('')).not.to.contain('13912345678');
    expect(lines.join('')).to.contain('139****5678');
  });
});
