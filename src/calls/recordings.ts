import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Knex } from 'knex';
import { Logger } from '../logging/logger';
import { wavComplete, wavDurationSeconds } from './wav';

/** Where Asterisk writes, as the service sees it (a shared volume in production, the simulator's spool in tests). */
export interface RecordingSource {
  serverId: string;
  /** Path of Asterisk's /var/spool/asterisk as mounted here. */
  spoolDir: string;
  /** Path of Asterisk's queue_log as mounted here (optional). */
  queueLog?: string;
}

export interface RecordingRow {
  id: number;
  server_id: string;
  name: string;
  call_id: number | null;
  linkedid: string | null;
  kind: string;
  path: string | null;
  format: string;
  duration_seconds: string | null;
  size_bytes: string | null;
  sha256: string | null;
  state: string;
}

const ASTERISK_SPOOL = '/var/spool/asterisk/';

function safeName(file: string): boolean {
  return file.length > 0 && file.length < 1024 && !file.includes('\0') && !file.split(/[\\/]/).includes('..');
}

function within(root: string, p: string): boolean {
  return p.startsWith(root + path.sep);
}

/**
 * Collects recording files from Asterisk into RECORDINGS_DIR, one row per file keyed by
 * (server, name), with duration, size and sha256, linked to the call by linkedid. Nothing is copied,
 * hashed or timed before Asterisk has finished the file: it is asked for only once Asterisk says the
 * recording ended (MixMonitorStop or the channel's hangup, Record() returned, ARI RecordingFinished),
 * and a WAV is taken only when its header carries the sizes Asterisk writes when it closes the file.
 * A file not closed yet (MixMonitor closes it just after the hangup) is read again a few times, then
 * left `finished` for the periodic pass; the stored size, duration and sha256 are the final file's.
 */
export class RecordingCollector {
  private readonly pending = new Map<string, Promise<void>>();

  constructor(
    private readonly knex: Knex,
    private readonly recordingsDir: string,
    private readonly sources: RecordingSource[],
    private readonly log: Logger,
    private readonly retryDelaysMs = [200, 500, 1000, 2000, 4000],
  ) {
    fs.mkdirSync(recordingsDir, { recursive: true });
  }

  /**
   * Asterisk's file name (relative to monitor/ or absolute under the spool) → a path we can read, or
   * null. Names come from the PBX and AstDB: anything that would leave the spool (`..`, NUL) is refused.
   */
  sourcePath(serverId: string, file: string): string | null {
    const src = this.sources.find((s) => s.serverId === serverId);
    if (!src || !safeName(file)) return null;
    const root = path.resolve(src.spoolDir);
    const p = file.startsWith(ASTERISK_SPOOL)
      ? path.resolve(root, file.slice(ASTERISK_SPOOL.length))
      : path.isAbsolute(file)
        ? path.resolve(file)
        : path.resolve(root, 'monitor', file);
    return within(root, p) ? p : null;
  }

  /**
   * The name a recording is keyed by (one row per file). The same file reaches us under two names: a
   * real Asterisk reports MixMonitor's absolute path below its own spool (MIXMONITOR_FILENAME), while
   * the spool scan after a restart names it as Asterisk's `/var/spool/asterisk/…` path. An absolute
   * name below this server's spoolDir is therefore keyed as `/var/spool/asterisk/<path below the
   * spool>`, the name Asterisk reports for a relative name under monitor/. Other names are kept: a
   * relative one is the name the service itself gave MixMonitor (conference segments).
   */
  nameOf(serverId: string, file: string): string {
    const src = this.sources.find((s) => s.serverId === serverId);
    if (!src || !safeName(file) || !path.isAbsolute(file) || file.startsWith(ASTERISK_SPOOL)) return file;
    const root = path.resolve(src.spoolDir);
    const p = path.resolve(file);
    return within(root, p) ? ASTERISK_SPOOL + path.relative(root, p).split(path.sep).join('/') : file;
  }

  /** Where a source file is kept below RECORDINGS_DIR: day / server / its path below the spool (monitor/…). */
  private destination(serverId: string, source: string, at: Date): { rel: string; dest: string } {
    const root = path.resolve(this.sources.find((s) => s.serverId === serverId)!.spoolDir);
    const day = at.toISOString().slice(0, 10).replace(/-/g, '/');
    const rel = path.join(day, serverId, path.relative(root, source));
    const dest = path.resolve(this.recordingsDir, rel);
    if (!within(path.resolve(this.recordingsDir), dest)) throw new Error(`recording path leaves RECORDINGS_DIR: ${source}`);
    return { rel, dest };
  }

  /** A recording began: remember it, linked to its call when the call is known. */
  async started(r: { serverId: string; file: string; linkedid?: string; kind: string; at: Date }): Promise<void> {
    const name = this.nameOf(r.serverId, r.file);
    // The call's id looked up in the same statement (null while the call row is not written yet).
    const callId = r.linkedid ? this.knex('calls').where({ server_id: r.serverId, linkedid: r.linkedid }).select('id').limit(1) : null;
    await this.knex('recordings')
      .insert({ server_id: r.serverId, name, linkedid: r.linkedid ?? null, call_id: callId, kind: r.kind, started_at: r.at, format: path.extname(r.file).slice(1) || 'wav' })
      .onConflict(['server_id', 'name'])
      .merge({ linkedid: this.knex.raw('coalesce(recordings.linkedid, excluded.linkedid)'), call_id: this.knex.raw('coalesce(recordings.call_id, excluded.call_id)') });
  }

  /** The recording ended (stop, hangup, or a message finished): collect the file. */
  finished(serverId: string, file: string, at: Date): Promise<void> {
    // Both the recording's end and the caller's hangup ask for it: one collection at a time per file.
    const name = this.nameOf(serverId, file);
    const key = `${serverId}\0${name}`;
    const running = this.pending.get(key);
    if (running) return running;
    const job = this.collect(serverId, name, at).finally(() => this.pending.delete(key));
    this.pending.set(key, job);
    return job;
  }

  /** Recordings of a call still marked as recording, e.g. when its caller hung up. */
  async finishCall(serverId: string, linkedid: string, at: Date): Promise<void> {
    const rows = await this.knex('recordings').where({ server_id: serverId, linkedid, state: 'recording' });
    await Promise.all(rows.map((r: RecordingRow) => this.finished(serverId, r.name, at)));
  }

  /** Recordings not collected yet whose call has ended (work a previous leader did not finish, files not closed then). */
  async finishEnded(): Promise<number> {
    const rows = await this.knex('recordings as r')
      .join('calls as c', function () {
        this.on('c.server_id', 'r.server_id').andOn('c.linkedid', 'r.linkedid');
      })
      .whereIn('r.state', ['recording', 'finished'])
      .where('c.state', 'ended')
      .select('r.server_id', 'r.name', 'c.ended_at');
    await Promise.all(rows.map((r: { server_id: string; name: string; ended_at: Date }) => this.finished(r.server_id, r.name, r.ended_at ?? new Date())));
    return rows.length;
  }

  async idle(): Promise<void> {
    // Settled, not all: a collection that failed (its caller logs it) must not make waiting fail,
    // nor leave the others unwaited (a stop would then close the database under them).
    while (this.pending.size) await Promise.allSettled([...this.pending.values()]);
  }

  private async collect(serverId: string, file: string, at: Date): Promise<void> {
    const src = this.sourcePath(serverId, file);
    // Marked finished if it was recording, and linked to its call if the call row was written after
    // the recording started: one statement, each column left as it was when its condition fails.
    const k = this.knex;
    await k('recordings')
      .where({ server_id: serverId, name: file })
      .where((q) => q.where('state', 'recording').orWhere((o) => o.whereNull('call_id').whereNotNull('linkedid')))
      .update({
        state: k.raw(`case when state = 'recording' then 'finished' else state end`),
        finished_at: k.raw(`case when state = 'recording' then ?::timestamptz else finished_at end`, [at]),
        call_id: k.raw(`case when call_id is null and linkedid is not null then (select c.id from calls c where c.server_id = ? and c.linkedid = recordings.linkedid limit 1) else call_id end`, [serverId]),
      });
    if (!src) {
      this.log.warn({ serverId, file }, 'no recording source configured for this server; recording left in Asterisk');
      return;
    }
    let seen = false;
    for (const delay of [0, ...this.retryDelaysMs]) {
      if (delay) await new Promise((r) => setTimeout(r, delay));
      if (!fs.existsSync(src)) continue;
      seen = true;
      const buf = await fs.promises.readFile(src);
      if (!wavComplete(buf)) continue; // still being written: its sizes are not in the header yet
      const { rel, dest } = this.destination(serverId, src, at);
      await fs.promises.mkdir(path.dirname(dest), { recursive: true });
      await fs.promises.writeFile(dest, buf);
      await this.knex('recordings').where({ server_id: serverId, name: file }).update({
        state: 'collected',
        path: rel,
        size_bytes: buf.length,
        sha256: crypto.createHash('sha256').update(buf).digest('hex'),
        duration_seconds: wavDurationSeconds(buf),
      });
      return;
    }
    if (seen) {
      this.log.warn({ serverId, file }, 'recording file not closed by Asterisk yet; left for the next pass');
      return;
    }
    await this.knex('recordings').where({ server_id: serverId, name: file }).update({ state: 'missing' });
    this.log.warn({ serverId, file }, 'recording file never appeared');
  }

  /** The file of a collected recording, for serving; null if not collected. */
  filePath(row: RecordingRow): string | null {
    if (!row.path) return null;
    const p = path.resolve(this.recordingsDir, row.path);
    return p.startsWith(path.resolve(this.recordingsDir) + path.sep) && fs.existsSync(p) ? p : null;
  }

  async get(id: number): Promise<RecordingRow | null> {
    return ((await this.knex('recordings').where({ id }).first()) as RecordingRow | undefined) ?? null;
  }

  async forCall(callId: number): Promise<RecordingRow[]> {
    return this.knex('recordings').where({ call_id: callId }).orderBy('id');
  }
}
