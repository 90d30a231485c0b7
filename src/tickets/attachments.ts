import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError } from '../http/errors';

/**
 * Ticket attachments (附件: 现场照片, 办理依据, 答复函 …). The bytes live on disk under ATTACHMENTS_DIR
 * (a shared volume when several instances run), named by a random key the service chooses: a client
 * never names a storage path. The metadata row is written only after the file is complete and
 * hashed, so no row points at a partial file; a failed upload leaves no file behind.
 */

/** Media types a handling unit or an operator may attach, with the magic bytes each must start with. */
export const ATTACHMENT_TYPES: Record<string, { label: string; magic?: Buffer[] }> = {
  'image/jpeg': { label: 'JPEG 图片', magic: [Buffer.from([0xff, 0xd8, 0xff])] },
  'image/png': { label: 'PNG 图片', magic: [Buffer.from([0x89, 0x50, 0x4e, 0x47])] },
  'application/pdf': { label: 'PDF 文档', magic: [Buffer.from('%PDF')] },
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': { label: 'Word 文档', magic: [Buffer.from('PK\x03\x04')] },
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': { label: 'Excel 表格', magic: [Buffer.from('PK\x03\x04')] },
  'application/msword': { label: 'Word 97 文档', magic: [Buffer.from([0xd0, 0xcf, 0x11, 0xe0])] },
  'text/plain': { label: '文本' },
  'audio/mpeg': { label: 'MP3 音频' },
  'audio/wav': { label: 'WAV 音频', magic: [Buffer.from('RIFF')] },
};

/** The media type of a request without parameters (`text/plain; charset=utf-8` → `text/plain`). */
export function mediaType(header: string | undefined): string {
  return String(header ?? '').split(';')[0]!.trim().toLowerCase();
}

/** A file name as shown to people: no directories, no control characters, at most 255 characters. */
export function cleanFileName(name: string): string | null {
  const base = name.replace(/[\u0000-\u001f\u007f]/g, '').split(/[\\/]/).pop()!.trim();
  if (!base || base === '.' || base === '..' || base.length > 255) return null;
  return base;
}

export interface StoredFile {
  storageKey: string;
  sizeBytes: number;
  sha256: string;
}

export class AttachmentFiles {
  /**
   * @param dir where files are kept (created on first use)
   * @param maxBytes the largest attachment accepted (bytes); larger uploads end with 413 `attachment.too_large`
   */
  constructor(
    readonly dir: string,
    readonly maxBytes: number,
  ) {}

  /**
   * Stream an upload to disk while hashing it. Throws 413 `attachment.too_large`, 400 `attachment.empty`
   * or 415 `attachment.type_mismatch` (the bytes are not what the media type says); nothing is kept then.
   */
  async save(ticketNo: string, contentType: string, body: NodeJS.ReadableStream): Promise<StoredFile> {
    const month = new Date().toISOString().slice(0, 7);
    const storageKey = `${month}/${ticketNo.replace(/[^A-Za-z0-9_-]/g, '_')}-${crypto.randomUUID()}`;
    const final = this.resolve(storageKey);
    const partial = `${final}.part`;
    const hash = crypto.createHash('sha256');
    let size = 0;
    let head = Buffer.alloc(0);
    const max = this.maxBytes;
    // Counted, capped and hashed on the way to disk; pipeline() turns any stream's error (a full disk,
    // a closed connection, the cap) into this call's rejection instead of an unhandled 'error' event.
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length;
        if (size > max) return done(new AppError(413, 'attachment.too_large', `附件超过 ${Math.floor(max / 1024 / 1024)}MB 上限`, { maxBytes: max }));
        if (head.length < 8) head = Buffer.concat([head, chunk.subarray(0, 8)]);
        hash.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await fs.promises.mkdir(path.dirname(final), { recursive: true });
      await pipeline(body, meter, fs.createWriteStream(partial, { flags: 'wx' }));
      if (size === 0) throw new AppError(400, 'attachment.empty', '上传的附件为空');
      const magic = ATTACHMENT_TYPES[contentType]?.magic;
      if (magic && !magic.some((m) => head.subarray(0, m.length).equals(m))) {
        throw new AppError(415, 'attachment.type_mismatch', `文件内容与类型“${ATTACHMENT_TYPES[contentType]!.label}”不符`, { contentType });
      }
      await fs.promises.rename(partial, final);
      return { storageKey, sizeBytes: size, sha256: hash.digest('hex') };
    } catch (err) {
      await fs.promises.rm(partial, { force: true });
      throw err;
    }
  }

  /** The absolute path of a stored file, or null when the key would leave the directory or the file is gone. */
  pathOf(storageKey: string): string | null {
    if (!storageKey || storageKey.includes('\0')) return null;
    const p = this.resolve(storageKey);
    return fs.existsSync(p) ? p : null;
  }

  /** Remove a stored file (after its metadata row could not be written). */
  async remove(storageKey: string): Promise<void> {
    await fs.promises.rm(this.resolve(storageKey), { force: true });
  }

  private resolve(storageKey: string): string {
    const root = path.resolve(this.dir);
    const p = path.resolve(root, storageKey);
    if (!p.startsWith(root + path.sep)) throw new AppError(400, 'attachment.bad_key', '附件存储路径无效');
    return p;
  }
}
