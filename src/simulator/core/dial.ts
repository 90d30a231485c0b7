/**
 * Outgoing channels and dialling, shared by Dial(), Queue(), AMI Originate and ARI originate.
 */
import { randomUUID } from 'crypto';
import type { Channel } from './channel';
import type { SimContext } from './context';

export type DialStatus = 'ANSWER' | 'BUSY' | 'NOANSWER' | 'CANCEL' | 'CONGESTION' | 'CHANUNAVAIL';

export interface OutgoingOpts {
  caller?: Channel;
  /** Application shown on the outgoing half: AppDial, AppQueue, AppDial2 (AMI Originate). */
  appName: string;
  vars?: Array<[string, string]>;
  callerId?: { num: string; name: string };
  id?: string;
  otherId?: string;
}

/** Parse `Local/x@ctx`, `PJSIP/1001`, `PJSIP/1001/sip:...`. */
export function parseDialString(s: string): { tech: string; resource: string } | undefined {
  const m = /^([A-Za-z]+)\/(.+)$/.exec(s.trim());
  return m ? { tech: m[1], resource: m[2] } : undefined;
}

/** Variables a child channel inherits: `_X` once (renamed X), `__X` forever. */
export function inheritedVars(parent: Channel | undefined): Array<[string, string]> {
  if (!parent) return [];
  const out: Array<[string, string]> = [];
  for (const [k, v] of parent.vars) {
    if (k.startsWith('__')) out.push([k, v]);
    else if (k.startsWith('_')) out.push([k.slice(1), v]);
  }
  return out;
}

/**
 * Create the outgoing channel for `dial` (not yet called). Returns undefined when the technology
 * is unknown or the endpoint cannot be reached (CHANUNAVAIL / "Originate failed").
 */
export function createOutgoing(sim: SimContext, dial: string, o: OutgoingOpts): Channel | undefined {
  const { pbx } = sim;
  const d = parseDialString(dial);
  if (!d) return undefined;
  const cid = o.callerId ?? (o.caller ? { ...o.caller.caller } : undefined);
  const vars = [...inheritedVars(o.caller), ...(o.vars ?? [])];
  if (d.tech === 'Local') {
    if (!d.resource.includes('@')) return undefined;
    const [one, two] = pbx.newLocal(d.resource, { id: o.id, otherId: o.otherId, linkedid: o.caller?.linkedid });
    pbx.newExten(one, o.appName, '(Outgoing Line)');
    // Originate sets variables on ;1 (reported in reverse) and ;2 inherits them (in order): capture 01.
    for (const [k, v] of [...vars].reverse()) pbx.setVar(one, k, v);
    if (cid) { pbx.setCallerId(one, cid.num, cid.name); if (!o.caller) pbx.setConnected(one, cid.num, cid.name); }
    if (o.caller) { pbx.setVar(one, 'DIALEDPEERNUMBER', d.resource); pbx.setVar(two, 'DIALEDPEERNUMBER', d.resource); }
    for (const [k, v] of vars) pbx.setVar(two, k, v);
    if (cid) { pbx.setCallerId(two, cid.num, cid.name); pbx.setConnected(two, o.caller ? o.caller.caller.num : cid.num, o.caller ? o.caller.caller.name : cid.name); }
    pbx.localBridgeEvent(one, two);
    return one;
  }
  if (d.tech === 'PJSIP') {
    // PJSIP/<endpoint>, PJSIP/<endpoint>/<uri>, or PJSIP/<number>@<endpoint> (a number out through a trunk).
    const res = d.resource.split('/')[0];
    const at = res.indexOf('@');
    const epId = at >= 0 ? res.slice(at + 1) : res;
    const ep = sim.endpoints.get(epId);
    if (!ep || !sim.endpoints.isReachable(ep)) return undefined;
    const ch = pbx.newChannel({ name: `PJSIP/${epId}-${pbx.nextPjsip()}`, tech: 'PJSIP', id: o.id, linkedid: o.caller?.linkedid, context: ep.context, exten: 's', state: 0, caller: cid });
    ch.endpoint = epId;
    if (at >= 0) ch.dialledNumber = res.slice(0, at);
    ch.protocolId = randomUUID();
    sim.endpoints.endpointChanged(ep);
    pbx.newExten(ch, o.appName, '(Outgoing Line)');
    for (const [k, v] of vars) pbx.setVar(ch, k, v);
    if (o.caller) pbx.setVar(ch, 'DIALEDPEERNUMBER', res);
    if (cid && o.caller) pbx.setConnected(ch, o.caller.caller.num, o.caller.caller.name);
    return ch;
  }
  return undefined;
}


/** Make the outgoing channel ring: a Local ;2 runs its dialplan, a phone follows its behaviour. */
export function callOutgoing(sim: SimContext, ch: Channel, caller?: Channel): void {
  const { pbx } = sim;
  if (caller) { ch.exten = caller.exten; }
  if (ch.tech === 'Local' && ch.localPeer) {
    const two = ch.localPeer;
    setImmediate(() => { if (!two.hungup) sim.startDialplan(two, two.context, two.exten, 1); });
    return;
  }
  if (ch.tech === 'PJSIP' && ch.endpoint) {
    const ep = sim.endpoints.get(ch.endpoint);
    const b = ep?.behaviour ?? {};
    // What the far end receives: the request line's user part and the headers a pre-dial handler added.
    pbx.sipMessage(ch, `INVITE sip:${ch.dialledNumber ?? ch.endpoint}@${ch.endpoint}`, { ...ch.sipHeaders });
    setTimeout(() => {
      if (ch.hungup) return;
      if ((b.busy || b.congested) && b.refuseAfterMs) {
        pbx.setState(ch, 5);
        setTimeout(() => { if (!ch.hungup) pbx.hangup(ch, b.busy ? 17 : 34, 'remote-nocause'); }, b.refuseAfterMs);
        return;
      }
      if (b.busy) { pbx.hangup(ch, 17, 'remote-nocause'); return; }
      if (b.congested) { pbx.hangup(ch, 34, 'remote-nocause'); return; }
      pbx.setState(ch, 5);
      if (b.noAnswer) return;
      setTimeout(() => { if (!ch.hungup) pbx.answer(ch); }, Math.max(0, b.answerAfterMs ?? 10));
    }, 2);
  }
}

export function dialEvent(sim: SimContext, name: 'DialBegin' | 'DialState' | 'DialEnd', caller: Channel | undefined, dest: Channel, extra: Array<[string, string]>): void {
  sim.pbx.ami(name, 'call', [...(caller ? caller.snapshot() : []), ...dest.snapshot('Dest'), ...extra]);
  const status = extra.find(([k]) => k === 'DialStatus')?.[1] ?? '';
  const dialstring = extra.find(([k]) => k === 'DialString')?.[1];
  const body: Record<string, unknown> = { dialstatus: status, forward: '', dialstring: dialstring ?? dest.vars.get('DIALEDPEERNUMBER') ?? dest.name.replace(/^[^/]+\//, '').replace(/-[0-9a-f]{8}(;[12])?$/, ''), peer: dest.toAri() };
  if (caller) body.caller = caller.toAri();
  sim.pbx.ari('Dial', body, { channels: caller ? [caller, dest] : [dest] });
}

/** Map a failed leg's hangup cause to DIALSTATUS. */
export function statusForCause(cause: number): DialStatus {
  if (cause === 17) return 'BUSY';
  if (cause === 34 || cause === 42) return 'CONGESTION';
  if (cause === 19 || cause === 18) return 'NOANSWER';
  return 'CHANUNAVAIL';
}
