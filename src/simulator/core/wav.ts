/**
 * Recordings as Asterisk writes them: RIFF WAVE, PCM 16-bit mono 8 kHz, 44-byte header
 * (README: hotline-mm-relative.wav was 44 bytes, 67 244 bytes for 4.2 s).
 *
 * Like formats/format_wav.c, a recording is a file from its first moment: the header goes out with
 * its RIFF and data sizes at 0, audio is appended as it comes, and the sizes are written only when
 * the file is closed (wav_close → update_header). A copy taken before that has a header saying 0 s.
 */
import { closeSync, mkdirSync, openSync, writeSync, writeFileSync } from 'fs';
import { dirname } from 'path';

const RATE = 8000;

function header(dataBytes: number): Buffer {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(dataBytes ? 36 + dataBytes : 0, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(1, 22); // mono
  h.writeUInt32LE(RATE, 24);
  h.writeUInt32LE(RATE * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(dataBytes, 40);
  return h;
}

/** `samples` samples of a quiet 440 Hz tone from sample `from` on, so a listener can tell it is not empty. */
function tone(from: number, samples: number): Buffer {
  const data = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) data.writeInt16LE(Math.round(Math.sin((2 * Math.PI * 440 * (from + i)) / RATE) * 2000), i * 2);
  return data;
}

/** Write a whole file at once (ARI recordings stored elsewhere, fixtures). */
export function writeWav(file: string, ms: number): number {
  const samples = Math.max(0, Math.round((ms / 1000) * RATE));
  mkdirSync(dirname(file), { recursive: true });
  const data = tone(0, samples);
  const h = header(0);
  h.writeUInt32LE(36 + data.length, 4);
  h.writeUInt32LE(data.length, 40);
  writeFileSync(file, Buffer.concat([h, data]));
  return 44 + data.length;
}

/** A recording being written: opened at once, grown by `advance()`, sizes filled in by `close()`. */
export class WavWriter {
  private fd: number | null;
  private samples = 0;

  /** Throws when the file cannot be created (Record() then reports ERROR). */
  constructor(readonly file: string) {
    mkdirSync(dirname(file), { recursive: true });
    this.fd = openSync(file, 'w');
    writeSync(this.fd, header(0), 0, 44, 0);
  }

  get closed(): boolean { return this.fd === null; }

  /** Append audio up to `ms` milliseconds of recording in total. */
  advanceTo(ms: number): void {
    if (this.fd === null) return;
    const target = Math.max(0, Math.round((ms / 1000) * RATE));
    if (target <= this.samples) return;
    const data = tone(this.samples, target - this.samples);
    writeSync(this.fd, data, 0, data.length, 44 + this.samples * 2);
    this.samples = target;
  }

  /** Close: the RIFF and data sizes are written now, and only now. Returns the file's size. */
  close(totalMs?: number): number {
    if (this.fd === null) return 44 + this.samples * 2;
    if (totalMs !== undefined) this.advanceTo(totalMs);
    const bytes = this.samples * 2;
    const sizes = Buffer.alloc(4);
    sizes.writeUInt32LE(36 + bytes, 0);
    writeSync(this.fd, sizes, 0, 4, 4);
    sizes.writeUInt32LE(bytes, 0);
    writeSync(this.fd, sizes, 0, 4, 40);
    closeSync(this.fd);
    this.fd = null;
    return 44 + bytes;
  }
}
