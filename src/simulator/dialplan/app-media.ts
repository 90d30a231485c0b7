/** Media applications: Playback, Background, Read, WaitExten, Record, MusicOnHold, ChanSpy, ConfBridge. */
import { isAbsolute } from 'path';
import { AST_SPOOL } from '../core/pbx';
import type { Channel } from '../core/channel';
import type { SimContext } from '../core/context';
import { unlinkSync } from 'fs';
import { splitArgs } from './expr';
import type { AppResult } from './apps';
import { jump } from './apps';
import { extensionExists } from './executor';

export function soundMs(sim: SimContext): number { return sim.soundMs * sim.timeScale; }

export function soundExists(sim: SimContext, file: string): boolean {
  return !sim.missingSounds.has(file.replace(/^sound:/, ''));
}

/** Play files; resolves early when interrupted (DTMF with `interruptible`). Returns false if a file is missing. */
async function play(sim: SimContext, ch: Channel, files: string[], interruptible: boolean): Promise<boolean> {
  for (const f of files) {
    if (!f) continue;
    if (!soundExists(sim, f)) { sim.log.warn({ file: f }, 'simulator: sound file does not exist'); return false; }
    const until = Date.now() + soundMs(sim);
    while (Date.now() < until && !ch.interrupted) {
      await ch.sleep(until - Date.now());
      if (interruptible && ch.dtmfBuffer) return true;
    }
    if (ch.interrupted) return true;
  }
  return true;
}

export async function playbackApp(sim: SimContext, ch: Channel, data: string): Promise<AppResult> {
  const [files, options = ''] = splitArgs(data);
  if (ch.state !== 6 && !options.includes('noanswer')) sim.pbx.answer(ch);
  const ok = await play(sim, ch, files.split('&'), false);
  sim.pbx.setVar(ch, 'PLAYBACKSTATUS', ok ? 'SUCCESS' : 'FAILED');
  return 'next';
}

export async function backgroundApp(sim: SimContext, ch: Channel, data: string): Promise<AppResult> {
  const [files] = splitArgs(data);
  if (ch.state !== 6) sim.pbx.answer(ch);
  await play(sim, ch, files.split('&'), true);
  if (ch.dtmfBuffer) return collectExten(sim, ch, 5000 * sim.timeScale);
  return 'next';
}

/** After Background/WaitExten: gather digits and jump to the matching extension ('i' if none). */
async function collectExten(sim: SimContext, ch: Channel, timeoutMs: number): Promise<AppResult> {
  let digits = '';
  for (;;) {
    digits += ch.dtmfBuffer;
    ch.dtmfBuffer = '';
    if (digits && extensionExists(sim, ch.context, digits)) return jump(ch, { context: ch.context, exten: digits, priority: 1 });
    const r = await ch.sleep(digits ? 3000 * sim.timeScale : timeoutMs);
    if (ch.interrupted) return 'next';
    if (r === 'timeout' && !ch.dtmfBuffer) break;
  }
  if (!digits) {
    if (extensionExists(sim, ch.context, 't')) return jump(ch, { context: ch.context, exten: 't', priority: 1 });
    return 'hangup';
  }
  if (extensionExists(sim, ch.context, 'i')) { sim.pbx.setVar(ch, 'INVALID_EXTEN', digits); return jump(ch, { context: ch.context, exten: 'i', priority: 1 }); }
  return 'hangup';
}

export async function waitExtenApp(sim: SimContext, ch: Channel, data: string): Promise<AppResult> {
  const secs = Number(splitArgs(data)[0] || 10);
  return collectExten(sim, ch, secs * 1000 * sim.timeScale);
}

/** Read(var,filename,maxdigits,options,attempts,timeout). '#' ends input. */
export async function readApp(sim: SimContext, ch: Channel, data: string): Promise<AppResult> {
  const [name, file = '', maxS = '', options = '', attemptsS = '', timeoutS = ''] = splitArgs(data);
  const max = Number(maxS) || 255;
  const attempts = Number(attemptsS) || 1;
  const timeoutMs = (Number(timeoutS) || 5) * 1000 * sim.timeScale;
  if (ch.state !== 6 && !options.includes('n')) sim.pbx.answer(ch);
  for (let i = 0; i < attempts; i++) {
    if (file) await play(sim, ch, file.split('&'), true);
    let got = '';
    let last = Date.now();
    while (!ch.interrupted) {
      if (ch.dtmfBuffer) {
        const d = ch.dtmfBuffer[0];
        ch.dtmfBuffer = ch.dtmfBuffer.slice(1);
        if (d === '#') break;
        got += d;
        last = Date.now();
        if (got.length >= max) break;
        continue;
      }
      const left = timeoutMs - (Date.now() - last);
      if (left <= 0) break;
      await ch.sleep(left);
    }
    if (ch.interrupted) { sim.pbx.setVar(ch, 'READSTATUS', 'HANGUP'); return 'next'; }
    if (got || i === attempts - 1) {
      sim.pbx.setVar(ch, name, got);
      sim.pbx.setVar(ch, 'READSTATUS', got ? 'OK' : 'TIMEOUT');
      return 'next';
    }
  }
  return 'next';
}

/**
 * Record(file.format,silence,maxduration,options) as app_record.c: the `beep` prompt first (unless
 * option q; a missing beep ends it at once with RECORD_STATUS=HANGUP while the caller is still there),
 * then the file is created (ERROR when it cannot be), written as audio comes, and closed, with its
 * sizes, before RECORD_STATUS is set and the application returns. Ends on '#' (DTMF), maxduration
 * (TIMEOUT) or hangup (HANGUP; option k keeps the file, otherwise it is deleted).
 */
export async function recordApp(sim: SimContext, ch: Channel, data: string): Promise<AppResult> {
  const [spec, , maxS, options = ''] = splitArgs(data);
  const file = spec.replace(/\.(wav|gsm|ulaw|alaw)$/i, '') + '.wav';
  // reported as Asterisk names it; written under spoolDir when that name is in Asterisk's spool
  const reported = isAbsolute(file) ? file : `${AST_SPOOL}recording/${file}`;
  const path = sim.pbx.localPath(reported);
  sim.pbx.setVar(ch, 'RECORDED_FILE', reported.replace(/\.wav$/, ''));
  if (ch.state !== 6) sim.pbx.answer(ch);
  if (!options.includes('q') && !(await play(sim, ch, ['beep'], false)) && !ch.hungup) {
    sim.pbx.setVar(ch, 'RECORD_STATUS', 'HANGUP');
    return 'next';
  }
  if (ch.hungup) { sim.pbx.setVar(ch, 'RECORD_STATUS', 'HANGUP'); return 'hangup'; }
  const start = Date.now();
  let writer;
  try {
    writer = sim.pbx.openRecording(path, () => Date.now() - start);
  } catch (err) {
    sim.log.warn({ err: (err as Error).message, file: reported }, 'simulator: Record could not create its file');
    sim.pbx.setVar(ch, 'RECORD_STATUS', 'ERROR');
    return 'next';
  }
  const max = Number(maxS) > 0 ? Number(maxS) * 1000 * sim.timeScale : undefined;
  let status = 'HANGUP';
  for (;;) {
    if (ch.interrupted) break;
    if (ch.dtmfBuffer.includes('#')) { status = 'DTMF'; break; }
    const left = max === undefined ? undefined : max - (Date.now() - start);
    if (left !== undefined && left <= 0) { status = 'TIMEOUT'; break; }
    await ch.sleep(left);
  }
  ch.dtmfBuffer = ch.dtmfBuffer.replace('#', '');
  sim.pbx.closeRecording(writer, Date.now() - start);
  if (status === 'HANGUP' && !options.includes('k')) { try { unlinkSync(path); } catch { /* already gone */ } }
  sim.pbx.setVar(ch, 'RECORD_STATUS', status);
  return ch.hungup ? 'hangup' : 'next';
}

export function mohStart(sim: SimContext, ch: Channel, klass: string): void {
  ch.moh = klass;
  sim.pbx.ami('MusicOnHoldStart', 'call', [...ch.snapshot(), ['Class', klass]]);
}
export function mohStop(sim: SimContext, ch: Channel): void {
  if (ch.moh === undefined) return;
  ch.moh = undefined;
  sim.pbx.ami('MusicOnHoldStop', 'call', ch.snapshot());
}

export async function mohApp(sim: SimContext, ch: Channel, data: string): Promise<AppResult> {
  const [klass = 'default', durS] = splitArgs(data);
  if (ch.state !== 6) sim.pbx.answer(ch);
  mohStart(sim, ch, klass || 'default');
  await ch.sleep(durS ? Number(durS) * 1000 * sim.timeScale : undefined);
  if (!ch.hungup) mohStop(sim, ch);
  return 'next';
}

/**
 * ChanSpy(prefix,options): q quiet, w whisper, B barge, E exit when the spied-on channel hangs up,
 * S stop when nothing is left to spy on, u the spec is a full channel name or uniqueid. As in
 * app_chanspy.c, without E/S the application does not return when its target hangs up: ChanSpyStop is
 * sent and it goes on scanning for another channel, so the spy's leg stays up (capture 13).
 * Who hears whom is kept on ch.spying.
 */
export async function chanSpyApp(sim: SimContext, ch: Channel, data: string): Promise<AppResult> {
  const [spec = '', options = ''] = splitArgs(data);
  const flags = options.replace(/[A-Za-z]\([^)]*\)/g, '');
  if (ch.state !== 6) sim.pbx.answer(ch);
  const mode = flags.includes('B') ? 'barge' : flags.includes('w') ? 'whisper' : 'listen';
  const matches = (c: Channel): boolean => c !== ch && !c.hungup && !c.name.startsWith(ch.device)
    && (flags.includes('u') ? c.name === spec || c.id === spec : c.name.startsWith(spec));
  while (!ch.interrupted) {
    const target = [...sim.pbx.channels.values()].find(matches);
    if (!target) {
      if (flags.includes('S')) break;
      await ch.sleep(200); // scan again, as the real application cycles
      continue;
    }
    ch.spying = { target: target.id, mode };
    const fields = (): Array<[string, string]> => [...ch.snapshot('Spyer'), ...target.snapshot('Spyee')];
    sim.pbx.ami('ChanSpyStart', 'call', fields());
    sim.pbx.emit('audioChanged');
    while (!ch.interrupted && !target.hungup) await ch.sleep(200);
    sim.pbx.ami('ChanSpyStop', 'call', fields());
    ch.spying = undefined;
    sim.pbx.emit('audioChanged');
    if (ch.interrupted || flags.includes('E')) break;
  }
  // a supervisor who hangs up while spying ends with cause 0 (Unknown), not 16 (capture 10)
  if (ch.hungup) { ch.hangupCause = 0; ch.causeUnknown = true; }
  return ch.hungup ? 'hangup' : 'next';
}

export async function confBridgeApp(sim: SimContext, ch: Channel, data: string): Promise<AppResult> {
  const [conf, bridgeProfile = 'default_bridge', userProfile = 'default_user'] = splitArgs(data);
  if (ch.state !== 6) sim.pbx.answer(ch);
  await sim.confbridges.join(ch, conf, bridgeProfile, userProfile);
  return 'next';
}
