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
      // the announcer CBAnn/<conf>-N;2 is hidden but counted (README, ConfBridge facts)
      const ann = { name: `CBAnn/${name}-${pbx.nextUnreal()};2` } as Channel;
      b.hidden.push(ann);
      c = { name, bridge: b, members: new Map(), profile: bridgeProfile };
      this.conferences.set(name, c);
      pbx.ami('ConfbridgeStart', 'call', this.fields(c));
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
    while (!ch.interrupted && ch.bridge === c.bridge) await ch.sleep();
    this.leave(c, ch, mohWhenEmpty);
  }

  private updateMoh(c: Conference, mohWhenEmpty: boolean): void {
    for (const [m] of c.members) {
      const alone = c.members.size === 1;
      if (alone && mohWhenEmpty && m.moh === undefined) { m.moh = 'default'; this.pbx.ami('MusicOnHoldStart', 'call', [...m.snapshot(), ['Class', 'default']]); }
      if (!alone && m.moh !== undefined) { m.moh = undefined; this.pbx.ami('MusicOnHoldStop', 'call', m.snapshot()); }
    }
  }

  private leave(c: Conference, ch: Channel, mohWhenEmpty: boolean): void {
    if (!c.members.has(ch)) return;
    c.members.delete(ch);
    if (ch.moh !== undefined) { ch.moh = undefined; this.pbx.ami('MusicOnHoldStop', 'call', ch.snapshot()); }
    if (ch.bridge === c.bridge) bridgeRemove(this.pbx, c.bridge, ch);
    this.pbx.ami('ConfbridgeLeave', 'call', [...this.fields(c), ...ch.snapshot(), ['Admin', 'No']]);
    if (!c.members.size) {
      this.conferences.delete(c.name);
      c.bridge.hidden.length = 0;
      this.pbx.ami('ConfbridgeEnd', 'call', this.fields(c));
      destroyBridge(this.pbx, c.bridge);
    } else this.updateMoh(c, mohWhenEmpty);
  }

  kick(name: string, channel: string): boolean {
    const c = this.conferences.get(name);
    if (!c) return false;
    for (const [m] of c.members) {
      if (channel === 'all' || m.name === channel || m.id === channel) { this.pbx.hangup(m, 16, 'soft'); return true; }
    }
    return false;
  }

  listItems(name: string): Array<{ ch: Channel; admin: boolean; muted: boolean; joinedAt: number }> {
    const c = this.conferences.get(name);
    return c ? [...c.members].map(([ch, v]) => ({ ch, ...v })) : [];
  }
}
