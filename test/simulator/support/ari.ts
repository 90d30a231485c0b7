/** Reading the recorded ARI captures and talking plain HTTP to the simulator's ARI. */
import { readFileSync } from 'fs';
import { join } from 'path';
import { SHARED } from './transcript';

export type AriEv = { type: string; channel?: { id: string }; [k: string]: unknown };
export interface AriResponse { method: string; path: string; status: number; status_text: string; body: unknown }

export function ariRecording(file: string): { events: AriEv[]; responses: AriResponse[] } {
  const lines = readFileSync(join(SHARED, 'ari', file), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  return { events: lines.filter((o) => o.dir === 'event').map((o) => o.event), responses: lines.filter((o) => o.dir === 'res' && !o.websocket) };
}

/** Noise for ordering: variables, dialplan steps, caller id updates and state changes of the other half. */
const NOISE = new Set(['ChannelVarset', 'ChannelDialplan', 'ChannelCallerId', 'ChannelConnectedLine']);

/** Per channel id, in order of first appearance, the event types that name it. */
export function perChannel(events: AriEv[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const e of events) {
    const id = e.channel?.id;
    if (!id || NOISE.has(e.type)) continue;
    const list = out.get(id) ?? [];
    list.push(e.type);
    out.set(id, list);
  }
  return out;
}

/** fetch against /ari with basic auth; the body parsed when there is one. */
export function rest(port: () => number) {
  return async (method: string, path: string, body?: unknown): Promise<{ status: number; statusText: string; body: any }> => {
    const headers: Record<string, string> = { authorization: `Basic ${Buffer.from('hotline:hotline').toString('base64')}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const r = await fetch(`http://127.0.0.1:${port()}/ari${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await r.text();
    return { status: r.status, statusText: r.statusText, body: text ? JSON.parse(text) : null };
  };
}
