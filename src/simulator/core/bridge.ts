import type { Channel, Fields } from './channel';
import { ariTime } from './channel';

export type BridgeKind = 'basic' | 'stasis' | 'confbridge';

/**
 * A bridge. `hidden` holds Recorder/Announcer/CBAnn channels, which Asterisk counts in BRIDGEPEER
 * and BridgeNumChannels of some events but never lists in bridge.channels (README, ARI facts).
 */
export class Bridge {
  readonly channels: Channel[] = [];
  readonly hidden: Channel[] = [];
  technology: string;
  readonly createdAt = Date.now();
  destroyed = false;
  /** MOH announcer channel while bridge MOH plays. */
  moh?: Channel;
  /** Live ARI recording of the bridge. */
  recording?: string;
  /** ConfBridge conference name, for confbridge bridges. */
  conference?: string;
  /** Set by Queue/Dial: the two-party call ends when one side leaves. */
  dissolveOnLeave = false;
  /** Queue sets this so a transfer can report AgentComplete Reason=transfer at the right moment. */
  onTransfer?: () => void;
  /** An attended transfer's consultation is in progress: the transferer is away, the call goes on. */
  consulting = false;
  /**
   * Channels the bridge's DTMF features let transfer (Queue/Dial option t: the called party, T: the
   * calling party). Undefined for bridges with no feature hooks (ARI, ConfBridge): not restricted here.
   */
  canTransfer?: Set<Channel>;

  constructor(
    readonly id: string,
    readonly kind: BridgeKind,
    readonly bridgeType: string,
    readonly creator: string,
    readonly name: string,
  ) {
    this.technology = kind === 'confbridge' ? 'softmix' : bridgeType === 'holding' ? 'holding_bridge' : 'simple_bridge';
  }

  /** A 2-party mixing bridge switches to softmix with a recorder or a third party (README). */
  updateTechnology(): void {
    if (this.kind === 'confbridge') return;
    if (this.bridgeType === 'holding') { this.technology = 'holding_bridge'; return; }
    this.technology = this.channels.length + this.hidden.length > 2 ? 'softmix' : 'simple_bridge';
  }

  snapshot(prefix = ''): Fields {
    const num = this.channels.length + (this.kind === 'confbridge' ? this.hidden.length : 0);
    return [
      [`${prefix}BridgeUniqueid`, this.id],
      [`${prefix}BridgeType`, this.bridgeType],
      [`${prefix}BridgeTechnology`, this.technology],
      [`${prefix}BridgeCreator`, this.creator || '<unknown>'],
      [`${prefix}BridgeName`, this.name || '<unknown>'],
      [`${prefix}BridgeNumChannels`, String(num)],
      [`${prefix}BridgeVideoSourceMode`, this.kind === 'stasis' ? 'talker' : 'none'],
    ];
  }

  toAri(): Record<string, unknown> {
    return {
      id: this.id,
      technology: this.technology,
      bridge_type: this.bridgeType,
      bridge_class: this.kind === 'stasis' ? 'stasis' : this.kind === 'confbridge' ? 'base' : 'basic',
      creator: this.creator,
      name: this.name,
      channels: this.channels.map((c) => c.id).sort(),
      creationtime: ariTime(this.createdAt),
      video_mode: 'talker',
    };
  }
}
