/**
 * Recordings as Asterisk writes them: RIFF WAVE, PCM 16-bit mono 8 kHz, 44-byte header
 * (README: hotline-mm-relative.wav was 44 bytes, 67 244 bytes for 4.2 s).
 */
import { mkdirSync, writeFileSync } from 'fs';
import { dirname } from 'path';

const RATE = 8000;

/** Write `ms` milliseconds of audio: a quiet 440 Hz tone so a listener can tell it is not empty. */
export function writeWav(file: string, ms: number, tone = true): number {
  const samples = Math.max(0, Math.round((ms / 1000) * RATE));
  const data = Buffer.alloc(samples * 2);
  if (tone) for (let i = 0; i < samples; i++) data.writeInt16LE(Math.round(Math.sin((2 * Math.PI * 440 * i) / RATE) * 2000), i * 2);
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + data.length, 4);
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
  h.writeUInt32LE(data.length, 40);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, Buffer.concat([h, data]));
  return 44 + data.length;
}
