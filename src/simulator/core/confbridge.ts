/**
 * ConfBridge conferences (capture 11): a softmix bridge with a hidden announcer channel that is
 * counted in BridgeNumChannels, Join/Leave/Talking/End events, kick.
 */
import { ConfSection, confBool, confGet } from '../conf/ini';
import type { Channel, Fields } from './channel';
import type { PbxCore } from './pbx';
import { Bridge } from './bridge';
import { bridgeAdd, bridgeRemove, destroyBridge } from './bridging';

interface Conference { name: string; bridge: Bridge; members: Map<Channel, { admin: boolean; muted: boolean; joinedAt: number }>; profile: string }

export class ConfBridgeManager {
  readonly conferences = new Map<string, Conference>();
  private profiles = new Map<string, Array<[string, string]>>();
  private readonly kicked = new WeakSet<Channel>();

  constructor(private readonly pbx: PbxCore) {}

  load(sections: ConfSection[]): void {
    for (const s of sections) this.profiles.set(s.name, s.resolved);
  }

  private fields(c: Conference): Fields {
    return [['Conference', c.name], ...c.bridge.snapshot()];
  }

  async join(ch: Channel, name: string, bridgeProfile: string, userProfile: string): Promise<void> {
    const { pbx } = this;
    let c = this.conferences.get(name);
    const up = this.profiles.get(userProfile) ?? [];
    const bp = this.profiles.get(bridgeProfile) ?? [];
    if (!c) {
      const b = new Bridge(pbx.newBridgeId(), 'confbridge', 'base', 'ConfBridge', name);
      pbx.bridges.set(b.id, b);
      pbx.ami('BridgeCreate', 'call', b.snapshot());
      // the announcer CBAnn/<conf>-N;2 is hidden but counted (README, ConfBridge facts)
      const ann = { name: `CBAnn/${name}-${pbx.nextUnreal()};2` } as Channel;
      b.hidden.push(ann);
      c = { name, bridge: b, members: new Map(), profile: bridgeProfile };
      this.conferences.set(name, c);
      pbx.ami('ConfbridgeStart', 'call', this.fields(c));
      pbx.updateDevice(`confbridge:${name}`, 'INUSE');
    }
    const max = Number(confGet(bp, 'max_members') ?? 0);
    if (max > 0 && c.members.size >= max) { pbx.setVar(ch, 'CONFBRIDGE_RESULT', 'FAILED'); return; }
    c.members.set(ch, { admin: false, muted: false, joinedAt: Date.now() });
    bridgeAdd(pbx, c.bridge, ch);
    pbx.ami('ConfbridgeJoin', 'call', [...this.fields(c), ...ch.snapshot(), ['Admin', 'No'], ['Muted', 'No']]);
    if (confBool(confGet(up, 'talk_detection_events'), false)) {
      pbx.ami('ConfbridgeTalking', 'call', [...this.fields(c), ...ch.snapshot(), ['TalkingStatus', 'on'], ['Admin', 'No']]);
    }
    const mohWhenEmpty = confBool(confGet(up, 'music_on_hold_when_empty'), false);
    this.updateMoh(c, mohWhenEmpty);
    while (!ch.interrupted && ch.bridge === c.bridge && !this.kicked.has(ch)) await ch.sleep();
    this.kicked.delete(ch);
    this.leave(c, ch, mohWhenEmpty);
  }

  /** MOH for a party left alone, a moment later so that a party joining right after never hears it. */
  private updateMoh(c: Conference, mohWhenEmpty: boolean): void {
    for (const [m] of c.members) {
      if (c.members.size > 1 && m.moh !== undefined) { m.moh = undefined; this.pbx.ami('MusicOnHoldStop', 'call', m.snapshot()); }
    }
    if (!mohWhenEmpty || c.members.size !== 1) return;
    setImmediate(() => {
      if (c.members.size !== 1 || this.conferences.get(c.name) !== c) return;
      const [m] = [...c.members.keys()];
      if (m.moh === undefined && !m.hungup) { m.moh = 'default'; this.pbx.ami('MusicOnHoldStart', 'call', [...m.snapshot(), ['Class', 'default']]); }
    });
  }

  /** ConfbridgeLeave comes before the BridgeLeave and still counts the leaver (capture 11). */
  private leave(c: Conference, ch: Channel, mohWhenEmpty: boolean): void {
    if (!c.members.has(ch)) return;
    c.members.delete(ch);
    this.pbx.ami('ConfbridgeLeave', 'call', [...this.fields(c), ...ch.snapshot(), ['Admin', 'No']]);
    this.pbx.emit('confbridgeLeave', ch);
    if (ch.bridge === c.bridge) bridgeRemove(this.pbx, c.bridge, ch);
    if (ch.moh !== undefined) { ch.moh = undefined; this.pbx.ami('MusicOnHoldStop', 'call', ch.snapshot()); }
    if (!c.members.size) {
      this.conferences.delete(c.name);
      this.pbx.ami('ConfbridgeEnd', 'call', this.fields(c));
      this.pbx.updateDevice(`confbridge:${c.name}`, 'NOT_INUSE');
      c.bridge.hidden.length = 0;
      destroyBridge(this.pbx, c.bridge);
      // the announcer goes with the conference
      this.pbx.updateDevice(`CBAnn/${c.name}`, 'UNKNOWN');
    } else this.updateMoh(c, mohWhenEmpty);
  }

  /** ConfbridgeKick: the party leaves the conference and its dialplan goes on (capture 11: Hangup() next). */
  kick(name: string, channel: string): boolean {
    const c = this.conferences.get(name);
    if (!c) return false;
    let found = false;
    for (const [m] of c.members) {
      if (channel === 'all' || m.name === channel || m.id === channel) { this.kicked.add(m); m.wake(); found = true; }
    }
    return found;
  }

  listItems(name: string): Array<{ ch: Channel; admin: boolean; muted: boolean; joinedAt: number }> {
    const c = this.conferences.get(name);
    return c ? [...c.members].map(([ch, v]) => ({ ch, ...v })) : [];
  }
}
