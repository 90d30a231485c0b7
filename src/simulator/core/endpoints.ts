/**
 * PJSIP endpoints from pjsip.conf and the "world outside": registration of softphones and how each
 * phone behaves when called (answer delay, busy, no answer, congestion).
 */
import { ConfSection, confAll, confGet } from '../conf/ini';
import type { PbxCore } from './pbx';

export interface EndpointBehaviour {
  answerAfterMs?: number;
  busy?: boolean;
  noAnswer?: boolean;
  congested?: boolean;
  /** With busy/congested: ring this long first (180 Ringing, then 486/503), as a line whose callee declines. */
  refuseAfterMs?: number;
}

export interface Endpoint {
  id: string;
  context: string;
  callerid: { num: string; name: string };
  setVars: Array<[string, string]>;
  aors: string;
  auth: string;
  /** Trunks have a static contact and are always reachable. */
  staticContact?: string;
  registered: boolean;
  contactUri?: string;
  behaviour: EndpointBehaviour;
  /** device_state_busy_at: BUSY once this many of its channels are not Down (chan_pjsip_devicestate). */
  busyAt?: number;
}

export function parseCallerId(s: string): { num: string; name: string } {
  const m = /^\s*"?([^"<]*?)"?\s*<([^>]*)>\s*$/.exec(s);
  if (m) return { name: m[1].trim(), num: m[2].trim() };
  return { name: '', num: s.trim() };
}

export class EndpointRegistry {
  readonly endpoints = new Map<string, Endpoint>();
  private contactSeq = 0x559d1f918b70;

  constructor(private readonly pbx: PbxCore) {
    pbx.externalDeviceState = (device) => {
      const m = /^PJSIP\/(.+)$/.exec(device);
      if (!m) return undefined;
      const ep = this.endpoints.get(m[1]);
      if (!ep) return undefined;
      if (!ep.registered && !ep.staticContact) return 'UNAVAILABLE';
      if (ep.busyAt) {
        // A ringing channel counts too: with device_state_busy_at=1 a member that rings shows BUSY
        // (QueueMemberStatus Status 3), never RINGING (capture 13).
        let inuse = 0;
        for (const c of pbx.channels.values()) if (!c.hungup && c.device === device && c.state !== 0 && c.state !== 1) inuse++;
        if (inuse >= ep.busyAt) return 'BUSY';
      }
      return undefined;
    };
  }

  load(sections: ConfSection[]): void {
    for (const s of sections) {
      if (s.isTemplate) continue;
      const type = confGet(s.resolved, 'type');
      if (type === 'endpoint') {
        const cid = confGet(s.resolved, 'callerid');
        this.endpoints.set(s.name, {
          id: s.name,
          context: confGet(s.resolved, 'context') ?? 'default',
          callerid: cid ? parseCallerId(cid) : { num: '', name: '' },
          setVars: confAll(s.resolved, 'set_var').map((v) => { const i = v.indexOf('='); return [v.slice(0, i), v.slice(i + 1)] as [string, string]; }),
          aors: confGet(s.resolved, 'aors') ?? '',
          auth: confGet(s.resolved, 'auth') ?? '',
          registered: false,
          behaviour: { answerAfterMs: 10 },
          busyAt: Number(confGet(s.resolved, 'device_state_busy_at')) || undefined,
        });
      }
    }
    for (const s of sections) {
      if (s.isTemplate || confGet(s.resolved, 'type') !== 'aor') continue;
      const contact = confGet(s.resolved, 'contact');
      const ep = this.endpoints.get(s.name);
      if (ep && contact) ep.staticContact = contact;
    }
  }

  get(id: string): Endpoint | undefined { return this.endpoints.get(id); }

  /** Add a phone endpoint at run time (scenario driver operators). */
  add(id: string, context = 'operators-out', callerid?: { num: string; name: string }): Endpoint {
    const ep: Endpoint = { id, context, callerid: callerid ?? { num: id, name: id }, setVars: [], aors: id, auth: id, registered: false, behaviour: { answerAfterMs: 10 } };
    this.endpoints.set(id, ep);
    return ep;
  }

  isReachable(ep: Endpoint): boolean { return ep.registered || ep.staticContact !== undefined; }

  /** A softphone registers: the AMI events of capture 07, in its order. */
  register(id: string): void {
    const ep = this.endpoints.get(id);
    if (!ep) throw new Error(`unknown PJSIP endpoint ${id}`);
    if (ep.registered) return;
    ep.registered = true;
    const port = 5170 + 10 * [...this.endpoints.keys()].indexOf(id);
    ep.contactUri = `sip:${id}-0x${(this.contactSeq++).toString(16)}@127.0.0.1:${port}`;
    const now = new Date().toISOString().replace('Z', '+0000');
    const session = `0x${Math.floor(Math.random() * 0xffffffff).toString(16)}`;
    const common: Array<[string, string]> = [['EventTV', now], ['Severity', 'Informational'], ['Service', 'PJSIP'], ['EventVersion', '1'], ['AccountID', id], ['SessionID', session], ['LocalAddress', 'IPV4/UDP/127.0.0.1/5060'], ['RemoteAddress', `IPV4/UDP/127.0.0.1/${port}`]];
    this.pbx.ami('ChallengeSent', 'security', [...common, ['Challenge', '']]);
    this.pbx.ami('SuccessfulAuth', 'security', [...common, ['UsingPassword', '1']]);
    this.contactStatus(ep, 'NonQualified', '0');
    this.pbx.updateDevice(`PJSIP/${id}`);
    this.pbx.emit('endpointState', ep);
    this.pbx.ami('PeerStatus', 'system', [['ChannelType', 'PJSIP'], ['Peer', `PJSIP/${id}`], ['PeerStatus', 'Reachable']]);
    this.pbx.ari('PeerStatusChange', { endpoint: this.toAri(ep), peer: { peer_status: 'Reachable' } }, { endpoints: [`PJSIP/${id}`] });
    this.contactStatus(ep, 'Reachable', String(300 + Math.floor(Math.random() * 400)));
    this.endpointChanged(ep);
  }

  unregister(id: string): void {
    const ep = this.endpoints.get(id);
    if (!ep || !ep.registered) return;
    ep.registered = false;
    this.pbx.ami('PeerStatus', 'system', [['ChannelType', 'PJSIP'], ['Peer', `PJSIP/${id}`], ['PeerStatus', 'Unreachable']]);
    this.pbx.ari('PeerStatusChange', { endpoint: this.toAri(ep), peer: { peer_status: 'Unreachable' } }, { endpoints: [`PJSIP/${id}`] });
    this.pbx.emit('endpointState', ep);
    this.pbx.updateDevice(`PJSIP/${id}`);
    this.contactStatus(ep, 'Removed', '0');
    ep.contactUri = undefined;
    this.endpointChanged(ep);
  }

  private contactStatus(ep: Endpoint, status: string, rtt: string): void {
    const uri = ep.contactUri ?? '';
    this.pbx.ami('ContactStatus', 'system', [['URI', uri], ['ContactStatus', status], ['AOR', ep.id], ['EndpointName', ep.id], ['RoundtripUsec', rtt]]);
    this.pbx.ari('ContactStatusChange', { endpoint: this.toAri(ep), contact_info: { uri, contact_status: status, aor: ep.id, roundtrip_usec: rtt } }, { endpoints: [`PJSIP/${ep.id}`] });
  }

  endpointChanged(ep: Endpoint): void {
    this.pbx.ari('EndpointStateChange', { endpoint: this.toAri(ep) }, { endpoints: [`PJSIP/${ep.id}`] });
  }

  channelIds(ep: Endpoint): string[] {
    return [...this.pbx.channels.values()].filter((c) => c.endpoint === ep.id).map((c) => c.id);
  }

  /** EndpointList.DeviceState wording. */
  deviceStateText(ep: Endpoint): string {
    const st = this.pbx.lastDeviceState(`PJSIP/${ep.id}`);
    return st === 'UNAVAILABLE' ? 'Unavailable' : st === 'RINGING' ? 'Ringing' : st === 'INUSE' || st === 'RINGINUSE' ? 'In use' : 'Not in use';
  }

  toAri(ep: Endpoint): Record<string, unknown> {
    return { technology: 'PJSIP', resource: ep.id, state: this.isReachable(ep) ? 'online' : 'offline', channel_ids: this.channelIds(ep) };
  }
}
