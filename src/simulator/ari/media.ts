/** ARI playbacks and recordings (live and stored), shared by channel and bridge routes. */
import { randomUUID } from 'crypto';
import { existsSync, readdirSync, readFileSync, unlinkSync } from 'fs';
import { join } from 'path';
import type { AriServer } from './server';
import { Req, Res, fail } from './http';
import type { WavWriter } from '../core/wav';
import { addHidden, removeHidden } from '../core/bridging';
import type { Channel } from '../core/channel';

export interface Playback { id: string; media_uri: string; target_uri: string; language: string; state: string; timer?: NodeJS.Timeout }
export interface LiveRecording { name: string; format: string; state: string; target_uri: string; startedAt: number; recorder?: Channel; bridgeId?: string; maxMs?: number; timer?: NodeJS.Timeout; writer?: WavWriter }

const playbacks = new WeakMap<AriServer, Map<string, Playback>>();
const recordings = new WeakMap<AriServer, Map<string, LiveRecording>>();
export const playbacksOf = (a: AriServer): Map<string, Playback> => { let m = playbacks.get(a); if (!m) { m = new Map(); playbacks.set(a, m); } return m; };
export const recordingsOf = (a: AriServer): Map<string, LiveRecording> => { let m = recordings.get(a); if (!m) { m = new Map(); recordings.set(a, m); } return m; };

const pbJson = (p: Playback): Record<string, unknown> => ({ id: p.id, media_uri: p.media_uri, target_uri: p.target_uri, language: p.language, state: p.state });
export const recJson = (r: LiveRecording, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ name: r.name, format: r.format, state: r.state, target_uri: r.target_uri, ...extra });

export function recordingDir(ari: AriServer): string { return join(ari.sim.pbx.spoolDir, 'recording'); }

/** POST .../play: 201 "queued"; PlaybackStarted "playing" then PlaybackFinished "done" (or "failed"). */
export function startPlayback(ari: AriServer, r: Req, kind: 'channel' | 'bridge', targetId: string): Res {
  const media = r.query.media;
  if (!media) fail(500, 'Internal Server Error', 'Failed to queue media for playback');
  const sim = ari.sim;
  const p: Playback = { id: r.query.playbackId ?? randomUUID(), media_uri: media, target_uri: `${kind}:${targetId}`, language: r.query.lang ?? 'en', state: 'queued' };
  const map = playbacksOf(ari);
  map.set(p.id, p);
  const refs = kind === 'channel' ? { channels: [sim.pbx.channels.get(targetId)!].filter(Boolean) } : { bridges: [sim.pbx.bridges.get(targetId)!].filter(Boolean) };
  const body = pbJson(p);
  const started = (): void => { p.state = 'playing'; sim.pbx.ari('PlaybackStarted', { playback: pbJson(p) }, refs); };
  const finish = (state: string): void => {
    if (!map.has(p.id)) return;
    map.delete(p.id);
    p.state = state;
    sim.pbx.ari('PlaybackFinished', { playback: pbJson(p) }, refs);
  };
  const uris = media.split(',');
  const scheme = (u: string): string => u.split(':')[0];
  const known = ['sound', 'recording', 'number', 'digits', 'characters', 'tone'];
  if (uris.some((u) => scheme(u) === 'sound' && sim.missingSounds.has(u.slice(6)))) {
    // a missing file fails at once: both events precede the 201 (capture 06)
    started();
    finish('failed');
    return { status: 201, reason: 'Created', body };
  }
  return {
    status: 201, reason: 'Created', body, after: () => {
      started();
      // an unknown scheme starts and never finishes (README)
      if (!uris.every((u) => known.includes(scheme(u)))) return;
      p.timer = setTimeout(() => finish('done'), sim.soundMs * sim.timeScale * uris.length);
      const onGone = (c: Channel): void => { if (kind === 'channel' && c.id === targetId) { sim.pbx.off('destroyed', onGone); clearTimeout(p.timer); finish('done'); } };
      sim.pbx.on('destroyed', onGone);
      setTimeout(() => sim.pbx.off('destroyed', onGone), sim.soundMs * sim.timeScale * uris.length + 50);
    },
  };
}

export function stopPlayback(ari: AriServer, id: string): boolean {
  const p = playbacksOf(ari).get(id);
  if (!p) return false;
  clearTimeout(p.timer);
  playbacksOf(ari).delete(id);
  p.state = 'done';
  ari.sim.pbx.ari('PlaybackFinished', { playback: pbJson(p) }, {});
  return true;
}

/** POST .../record: RecordingStarted precedes the 201; a bridge gains a hidden Recorder channel. */
export function startRecording(ari: AriServer, r: Req, kind: 'channel' | 'bridge', targetId: string): Res {
  const q = r.query;
  if (!q.name) fail(500, 'Internal Server Error', 'Error parsing request');
  const format = q.format ?? '';
  if (!['wav', 'gsm', 'ulaw', 'alaw', 'sln', 'g722'].includes(format)) fail(422, 'Unprocessable Entity', 'specified format is unknown on this system');
  const live = recordingsOf(ari);
  const file = join(recordingDir(ari), `${q.name}.${format}`);
  const ifExists = q.ifExists ?? 'fail';
  if (live.has(q.name) || (ifExists === 'fail' && existsSync(file))) fail(409, 'Conflict', `Recording '${q.name}' already exists and can not be overwritten`);
  const sim = ari.sim;
  const rec: LiveRecording = { name: q.name, format, state: 'recording', target_uri: `${kind}:${targetId}`, startedAt: Date.now() };
  // Written as it records, sizes at the end (like MixMonitor; a conference segment is complete only at RecordingFinished).
  rec.writer = sim.pbx.openRecording(file, () => Date.now() - rec.startedAt);
  live.set(rec.name, rec);
  if (kind === 'bridge') {
    const b = sim.pbx.bridges.get(targetId)!;
    const recorder = { name: `Recorder/ARI-${sim.pbx.nextUnreal()};2`, id: `rec-${rec.name}` } as Channel;
    rec.recorder = recorder;
    rec.bridgeId = b.id;
    b.recording = rec.name;
    addHidden(sim.pbx, b, recorder);
  }
  const refs = kind === 'channel' ? { channels: [sim.pbx.channels.get(targetId)!] } : { bridges: [sim.pbx.bridges.get(targetId)!] };
  sim.pbx.ari('RecordingStarted', { recording: recJson(rec) }, refs);
  const maxS = Number(q.maxDurationSeconds ?? 0);
  if (maxS > 0) rec.timer = setTimeout(() => stopRecording(ari, rec.name), maxS * 1000 * sim.timeScale);
  return { status: 201, reason: 'Created', body: recJson({ ...rec, state: 'queued' }) };
}

export function stopRecording(ari: AriServer, name: string): boolean {
  const live = recordingsOf(ari);
  const rec = live.get(name);
  if (!rec) return false;
  live.delete(name);
  clearTimeout(rec.timer);
  const ms = Date.now() - rec.startedAt;
  if (rec.writer) ari.sim.pbx.closeRecording(rec.writer, ms);
  rec.state = 'done';
  const sim = ari.sim;
  const b = rec.bridgeId ? sim.pbx.bridges.get(rec.bridgeId) : undefined;
  const refs = b ? { bridges: [b] } : { channels: [sim.pbx.channels.get(rec.target_uri.slice(8))!].filter(Boolean) };
  sim.pbx.ari('RecordingFinished', { recording: recJson(rec, { duration: Math.floor(ms / 1000) }) }, refs);
  if (b && rec.recorder) { b.recording = undefined; removeHidden(sim.pbx, b, rec.recorder); }
  return true;
}

export function storedRecordings(ari: AriServer): Array<{ name: string; format: string }> {
  const dir = recordingDir(ari);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.includes('.')).map((f) => ({ name: f.slice(0, f.lastIndexOf('.')), format: f.slice(f.lastIndexOf('.') + 1) }));
}

export function storedFile(ari: AriServer, name: string): { path: string; format: string } | undefined {
  const s = storedRecordings(ari).find((x) => x.name === name);
  return s ? { path: join(recordingDir(ari), `${s.name}.${s.format}`), format: s.format } : undefined;
}

export function readStored(path: string): Buffer { return readFileSync(path); }
export function deleteStored(path: string): void { unlinkSync(path); }
