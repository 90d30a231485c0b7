/**
 * Duration of a RIFF/WAVE file from its header (data bytes / byte rate); null when it is not one.
 * `buf` may be the file's first bytes only, with `length` the file's size (a header is enough).
 */
export function wavDurationSeconds(buf: Buffer, length = buf.length): number | null {
  if (buf.length < 12 || buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') return null;
  let offset = 12;
  let byteRate = 0;
  while (offset + 8 <= buf.length) {
    const id = buf.toString('ascii', offset, offset + 4);
    const size = buf.readUInt32LE(offset + 4);
    if (id === 'fmt ' && offset + 16 <= buf.length) byteRate = buf.readUInt32LE(offset + 8 + 8);
    if (id === 'data') {
      if (!byteRate) return null;
      // A file still being written may claim more than is there: count what is on disk.
      const available = Math.min(size, length - offset - 8);
      return Math.round((available / byteRate) * 100) / 100;
    }
    offset += 8 + size + (size % 2);
  }
  return null;
}

/**
 * Whether a RIFF/WAVE file has been closed by its writer. Asterisk (format_wav.c) writes the header
 * with RIFF and data sizes of 0 when it creates the file and fills them in only when it closes it,
 * so a file whose sizes do not match its length is still being recorded (or was never closed).
 * Anything that is not RIFF/WAVE cannot tell and counts as complete. `buf` may be the file's first
 * bytes only, with `length` the file's size: false then also when they end before the data chunk.
 */
export function wavComplete(buf: Buffer, length = buf.length): boolean {
  if (buf.length < 12 || buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') return true;
  const riff = buf.readUInt32LE(4);
  if (riff !== length - 8 && riff !== length - 9) return false;
  let offset = 12;
  while (offset + 8 <= buf.length) {
    const id = buf.toString('ascii', offset, offset + 4);
    const size = buf.readUInt32LE(offset + 4);
    if (id === 'data') {
      const left = length - offset - 8;
      return size === left || size + 1 === left;
    }
    if (size === 0 && id !== 'fmt ') return false;
    offset += 8 + size + (size % 2);
  }
  return false;
}
