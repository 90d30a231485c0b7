import { expect } from 'chai';
import { wavComplete, wavDurationSeconds } from '../../src/calls/wav';

/** A PCM WAV as Asterisk's format_wav.c writes it: 8 kHz, 16-bit mono; sizes 0 until it closes the file. */
function wav(dataBytes: number, closed: boolean): Buffer {
  const b = Buffer.alloc(44 + dataBytes);
  b.write('RIFF', 0, 'ascii');
  b.writeUInt32LE(closed ? 36 + dataBytes : 0, 4);
  b.write('WAVE', 8, 'ascii');
  b.write('fmt ', 12, 'ascii');
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20);
  b.writeUInt16LE(1, 22);
  b.writeUInt32LE(8000, 24);
  b.writeUInt32LE(16000, 28);
  b.writeUInt16LE(2, 32);
  b.writeUInt16LE(16, 34);
  b.write('data', 36, 'ascii');
  b.writeUInt32LE(closed ? dataBytes : 0, 40);
  return b;
}

describe('WAV headers: a file judged from its first bytes and its size (the spool scan after a restart)', () => {
  it('given a closed recording, when only its header and size are read, then it is complete with the whole file’s duration', () => {
    const file = wav(48_000, true);
    const head = file.subarray(0, 44);
    expect(wavComplete(head, file.length)).to.equal(true);
    expect(wavComplete(file)).to.equal(true);
    expect(wavDurationSeconds(head, file.length)).to.equal(wavDurationSeconds(file)).and.to.equal(3);
  });

  it('given a recording still being written, when only its header and size are read, then it is not complete, as from the whole file', () => {
    const file = wav(48_000, false);
    expect(wavComplete(file.subarray(0, 44), file.length)).to.equal(false);
    expect(wavComplete(file)).to.equal(false);
  });

  it('given a header cut before its data chunk, when judged from it, then it is not taken for complete (the caller reads the whole file)', () => {
    const file = wav(16_000, true);
    expect(wavComplete(file.subarray(0, 30), file.length)).to.equal(false);
    expect(wavComplete(file)).to.equal(true);
  });
});
