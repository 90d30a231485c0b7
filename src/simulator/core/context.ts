/** What dialplan applications, AMI actions and ARI routes share: the simulated Asterisk as a whole. */
import type { TransferFeatures } from './atxfer-recall';
import type { Logger } from '../../logging/logger';
import type { PbxCore } from './pbx';
import type { EndpointRegistry } from './endpoints';
import type { Dialplan } from '../dialplan/parser';
import type { Channel } from './channel';
import type { QueueManager } from './queues';
import type { ConfBridgeManager } from './confbridge';

/** The ARI side as the core sees it: Stasis() needs to know whether an application is connected. */
export interface StasisHost {
  hasApp(name: string): boolean;
  /** Put the channel into the app; resolves when it leaves Stasis (StasisEnd). */
  run(ch: Channel, app: string, args: string[]): Promise<void>;
}

export interface SimContext {
  pbx: PbxCore;
  endpoints: EndpointRegistry;
  queues: QueueManager;
  confbridges: ConfBridgeManager;
  dialplan: Dialplan;
  globals: Map<string, string>;
  astdb: Map<string, string>;
  log: Logger;
  stasis: StasisHost;
  /** features.conf [general]: the attended transfer timers (seconds, before timeScale). */
  features: TransferFeatures;
  /** Multiplies dialplan Wait()/timeouts (1 = real time); tests use less. */
  timeScale: number;
  /** How long one sound file plays, in ms (before timeScale). */
  soundMs: number;
  /** Sounds that do not exist (Playback fails, ARI PlaybackFinished state failed). */
  missingSounds: Set<string>;
  /** Run `ch` through the dialplan from the given location (async; returns at once). */
  startDialplan(ch: Channel, context: string, exten: string, priority: number | string): void;
  /** Run a single application on a channel (originate with Application=, ARI originate with app=). */
  startApplication(ch: Channel, app: string, data: string): void;
}
