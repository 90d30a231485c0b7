import fs from 'node:fs';
import path from 'node:path';
import { Knex } from 'knex';
import { Logger } from '../logging/logger';
import { TelephonyEvent } from '../telephony';
import { CallRecorder } from './call-recorder';
import { RecordingCollector, RecordingSource } from './recordings';
import { wavComplete, wavDurationSeconds } from './wav';

/** One queue_log line: `epoch|callid|queue|agent|event|data…` (app_queue, logger.conf `queue_log = yes`). */
export interface QueueLogLine { at: number; callid: string; queue: string; agent: string; event: string; data: string[] }

export function parseQueueLog(text: string): QueueLogLine[] {
  const out: QueueLogLine[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split('|');
    if (f.length < 5 || !/^\d+$/.test(f[0]) || f[1] === 'NONE') continue;
    out.push({ at: Number(f[0]) * 1000, callid: f[1], queue: f[2], agent: f[3], event: f[4], data: f.slice(5) });
  }
  return out;
}

const MONITOR = '/var/spool/asterisk/monitor/';

interface SpoolFile { open: boolean; startedAt: number; endedAt: number }

/** queue_log lines that close a caller's stay in a queue with an operator (they carry the talk time). */
const CLOSING_EVENTS = new Set(['COMPLETECALLER', 'COMPLETEAGENT', 'BLINDTRANSFER', 'ATTENDEDTRANSFER']);
/** queue_log lines logged when the caller's channel goes (Queue() without `c` hangs up after COMPLETEAGENT). */
const HANGUP_EVENTS = new Set(['COMPLETECALLER', 'COMPLETEAGENT', 'ABANDON']);

/** The talk time a closing line carries: COMPLETE*: holdtime|calltime|…; *TRANSFER: …|holdtime|calltime|…. */
function talkSeconds(l: QueueLogLine): number | undefined {
  const raw = l.event.endsWith('TRANSFER') ? l.data[3] : l.data[1];
  const v = Number(raw);
  return raw && Number.isFinite(v) ? v : undefined;
}

/**
 * When the caller's channel went, by Asterisk's records: the queue_log line of that hangup; when the
 * caller stayed on after the queue (a transfer, a fallback), the closed recording, which MixMonitor
 * closes when the channel goes. Undefined when neither says.
 */
function endOf(lines: QueueLogLine[], file?: SpoolFile): number | undefined {
  const hangup = [...lines].reverse().find((l) => HANGUP_EVENTS.has(l.event));
  if (hangup) return hangup.at;
  return file && !file.open ? file.endedAt : undefined;
}

/**
 * Calls that began while the service was down, rebuilt from what Asterisk itself keeps (issue 11 §2):
 * queue_log (a line per queue fact, with Asterisk's times and the caller's uniqueid = the linkedid of
 * an inbound call) and the spool (every inbound call is recorded from the start as
 * `monitor/<linkedid>.wav`; the closed file's time and length date the call). A call that began and
 * ended meanwhile gets its call row and recording; one still going has its queue times corrected from
 * queue_log (not the resync time) and its recording tracked, so its hangup collects it. Everything goes
 * through the recorder as synthetic events keyed by Asterisk's data, so a replay changes nothing.
 */
export class DowntimeReconciler {
  constructor(
    private readonly knex: Knex,
    private readonly recorder: CallRecorder,
    private readonly recordings: RecordingCollector,
    private readonly sources: RecordingSource[],
    private readonly log: Logger,
    /** Member name (queue_log agent with log_membername_as_agent=yes) → interface, when known. */
    private readonly interfaceOf: (serverId: string, memberName: string) => Promise<string | null> = async () => null,
    private readonly windowMs = 24 * 3600_000,
  ) {}

  async run(serverId: string, live: Set<string>, now = Date.now()): Promise<{ calls: number; corrected: number; recordings: number }> {
    const src = this.sources.find((s) => s.serverId === serverId);
    const res = { calls: 0, corrected: 0, recordings: 0 };
    if (!src) return res;
    const since = now - this.windowMs;
    const byCall = new Map<string, QueueLogLine[]>();
    if (src.queueLog && fs.existsSync(src.queueLog)) {
      for (const l of parseQueueLog(await fs.promises.readFile(src.queueLog, 'utf8'))) {
        if (l.at < since) continue;
        const list = byCall.get(l.callid) ?? [];
        list.push(l);
        byCall.set(l.callid, list);
      }
    }
    const files = await this.spoolCalls(src.spoolDir, since);
    const ids = new Set([...byCall.keys(), ...files.keys()]);
    for (const linkedid of ids) {
      const call = await this.knex('calls').where({ server_id: serverId, linkedid }).first();
      const lines = byCall.get(linkedid) ?? [];
      const file = files.get(linkedid);
      if (!call) {
        if (live.has(linkedid) || file?.open) continue; // still up: the resync reported it, its hangup will end it
        if (!lines.some((l) => l.event === 'ENTERQUEUE') && !file) continue;
        await this.replay(serverId, linkedid, lines, file);
        res.calls++;
      } else if (call.reconciled && lines.length) {
        res.corrected += await this.correct(call, lines, file);
      }
      if (file && (await this.ensureRecording(serverId, linkedid, file))) res.recordings++;
    }
    await this.recorder.idle();
    // Recordings of reconciled calls that have ended are collected now (their files are closed).
    await this.recordings.finishEnded();
    if (res.calls || res.corrected) this.log.info({ serverId, ...res }, 'calls from while the service was down reconciled from queue_log and the spool');
    return res;
  }

  /**
   * MixMonitor files in monitor/ named by linkedid. A closed one dates its call (start = file time −
   * length, end = file time); one still open belongs to a call that is still up. Only each file's
   * header is read (its sizes say whether Asterisk closed it), without blocking the event loop: a
   * day of recordings is scanned while the live feed goes on.
   */
  private async spoolCalls(spoolDir: string, since: number): Promise<Map<string, SpoolFile>> {
    const out = new Map<string, SpoolFile>();
    const dir = path.join(spoolDir, 'monitor');
    const names = await fs.promises.readdir(dir).catch((err: NodeJS.ErrnoException) => { if (err.code === 'ENOENT') return [] as string[]; throw err; });
    for (const name of names) {
      const m = /^(\d+\.\d+)\.wav$/.exec(name);
      if (!m) continue;
      const p = path.join(dir, name);
      const st = await fs.promises.stat(p).catch((err: NodeJS.ErrnoException) => { if (err.code === 'ENOENT') return null; throw err; });
      if (!st || !st.isFile() || st.mtimeMs < since) continue;
      let buf = await readHead(p, SPOOL_HEAD_BYTES);
      let complete = wavComplete(buf, st.size);
      // The header did not settle it (chunks before the data longer than what was read): read it all.
      if (!complete && buf.length < st.size) {
        buf = await fs.promises.readFile(p);
        complete = wavComplete(buf);
      }
      if (!complete) { out.set(m[1], { open: true, startedAt: Math.round(st.birthtimeMs || st.ctimeMs), endedAt: Math.round(st.mtimeMs) }); continue; }
      const secs = wavDurationSeconds(buf, buf.length < st.size ? st.size : buf.length) ?? 0;
      out.set(m[1], { open: false, startedAt: Math.round(st.mtimeMs - secs * 1000), endedAt: Math.round(st.mtimeMs) });
    }
    return out;
  }

  /** Synthetic events with Asterisk's times, in the order they happened, then the hangup. */
  private async replay(serverId: string, linkedid: string, lines: QueueLogLine[], file?: SpoolFile): Promise<void> {
    const base = { serverId, source: 'ami' as const, synthetic: true as const, reason: 'resync' as const, channelId: linkedid, channel: '', linkedId: linkedid };
    const enter = lines.find((l) => l.event === 'ENTERQUEUE');
    const startedAt = Math.min(file?.startedAt ?? Infinity, enter?.at ?? Infinity);
    const send = (e: Record<string, unknown>) => this.recorder.handle({ ...base, ...e } as unknown as TelephonyEvent);
    send({ type: 'ChannelCreated', at: startedAt, state: 'Up', callerNumber: enter?.data[1] || undefined, context: 'from-carrier' });
    for (const l of lines) {
      const q = { queue: l.queue, at: l.at };
      switch (l.event) {
        case 'ENTERQUEUE': send({ type: 'CallerJoinedQueue', ...q, position: Number(l.data[2]) || 1, callerNumber: l.data[1] || undefined }); break;
        case 'CONNECT': {
          const memberInterface = (await this.interfaceOf(serverId, l.agent)) ?? l.agent;
          send({ type: 'CallerLeftQueue', ...q });
          send({ type: 'OperatorAnswered', ...q, memberInterface, memberName: l.agent, holdTimeSec: Number(l.data[0]) || 0 });
          break;
        }
        case 'ABANDON': send({ type: 'CallerAbandoned', ...q, holdTimeSec: Number(l.data[2]) || 0 }); send({ type: 'CallerLeftQueue', ...q }); break;
        case 'EXITWITHTIMEOUT': case 'EXITEMPTY': case 'EXITWITHKEY': send({ type: 'CallerLeftQueue', ...q }); break;
        case 'COMPLETECALLER': case 'COMPLETEAGENT': case 'BLINDTRANSFER': case 'ATTENDEDTRANSFER': {
          send({ type: 'CallCompleted', ...q, memberInterface: (await this.interfaceOf(serverId, l.agent)) ?? l.agent, memberName: l.agent, talkTimeSec: talkSeconds(l), completionReason: l.event.toLowerCase(), correlatedBy: 'uniqueid' });
          break;
        }
        default: break;
      }
    }
    const endedAt = endOf(lines, file) ?? Math.max(startedAt, ...lines.map((l) => l.at));
    send({ type: 'ChannelHungUp', at: endedAt, cause: 16, causeText: 'Ended while the service was down' });
  }

  /**
   * A call the service learnt of, or saw end, only through the resync: its times come from queue_log
   * (Asterisk's own clock), not from when we saw it. Entering and answering from ENTERQUEUE and CONNECT;
   * the talk time from the line that closed the queue call; and, when its end was only reconciled (the
   * caller hung up while we were down), the end from the line of that hangup (COMPLETECALLER,
   * COMPLETEAGENT, ABANDON) or the closed recording (endOf).
   */
  private async correct(call: { id: number; state: string; ended_at: Date | null }, lines: QueueLogLine[], file?: SpoolFile): Promise<number> {
    const enter = lines.find((l) => l.event === 'ENTERQUEUE');
    const connect = lines.find((l) => l.event === 'CONNECT');
    const abandon = lines.find((l) => l.event === 'ABANDON');
    const closing = [...lines].reverse().find((l) => CLOSING_EVENTS.has(l.event));
    const patch: Record<string, unknown> = {};
    if (enter) patch.queue_entered_at = new Date(enter.at);
    if (connect) {
      patch.answered_at = new Date(connect.at);
      patch.wait_seconds = Number(connect.data[0]) || 0;
    } else if (abandon) patch.wait_seconds = Number(abandon.data[2]) || 0;
    if (closing) {
      const talk = talkSeconds(closing);
      if (talk !== undefined) patch.talk_seconds = talk;
    }
    await this.recorder.idle();
    let endedAt: Date | undefined;
    if (call.state === 'ended' && (await this.endReconciled(call.id))) {
      const end = endOf(lines, file);
      if (end !== undefined) patch.ended_at = endedAt = new Date(end);
    }
    if (!Object.keys(patch).length) return 0;
    return this.knex.transaction(async (trx) => {
      const n = await trx('calls').where({ id: call.id }).update({ ...patch, updated_at: this.knex.fn.now() });
      if (endedAt) {
        // The reconciled end and the missed-call entry it made carry Asterisk's time too.
        await trx('call_transitions').where({ call_id: call.id, event: 'reconciled_gone' }).update({ at: endedAt });
        await trx('missed_calls').where({ call_id: call.id }).update({ missed_at: endedAt, ...(patch.wait_seconds !== undefined ? { wait_seconds: patch.wait_seconds } : {}) });
      }
      return n;
    });
  }

  /** Whether the call's end was reconciled (seen gone after a restart) rather than seen live. */
  private async endReconciled(callId: number): Promise<boolean> {
    return !!(await this.knex('call_transitions').where({ call_id: callId, event: 'reconciled_gone' }).first('id'));
  }

  /** The call's MixMonitor recording has a row (it started while we were away); false if it had one. */
  private async ensureRecording(serverId: string, linkedid: string, file: { startedAt: number }): Promise<boolean> {
    const name = `${MONITOR}${linkedid}.wav`;
    if (await this.knex('recordings').where({ server_id: serverId, name }).first('id')) return false;
    await this.recorder.idle();
    await this.recordings.started({ serverId, file: name, linkedid, kind: 'call', at: new Date(file.startedAt) });
    return true;
  }
}

/** Enough of a WAV file for its header (Asterisk writes 44 bytes; other writers add a few chunks). */
const SPOOL_HEAD_BYTES = 64 * 1024;

async function readHead(file: string, bytes: number): Promise<Buffer> {
  const fh = await fs.promises.open(file, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}
