/**
 * The Asterisk simulator: AMI and ARI on real ports, the dialplan/queues/endpoints of a conf
 * directory, and a control surface for tests ("the world outside Asterisk").
 */
import { mkdtempSync, mkdirSync, readFileSync, existsSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Logger, silentLogger } from '../logging/logger';
import { PbxCore, SipMessage } from './core/pbx';
import { EndpointRegistry, EndpointBehaviour, parseCallerId } from './core/endpoints';
import { QueueManager } from './core/queues';
import { ConfBridgeManager } from './core/confbridge';
import type { SimContext, StasisHost } from './core/context';
import { parseConf } from './conf/ini';
import { transferFeatures } from './core/atxfer-recall';
import { parseDialplan } from './dialplan/parser';
import { startApplication, startDialplan } from './dialplan/executor';
import { AmiServer } from './ami/server';
import { AriServer } from './ari/server';
import { sendDtmf, blindTransfer } from './core/transfer';

export interface SimulatorOptions {
  host?: string;
  amiPort?: number;
  ariPort?: number;
  username?: string;
  password?: string;
  confDir?: string;
  spoolDir?: string;
  logger?: Logger;
  /** Multiplies dialplan waits and ring timeouts (default 1 = real time). */
  timeScale?: number;
  /** How long one sound file plays (default 1000 ms, before timeScale). */
  soundMs?: number;
  /** Sound names that do not exist (Playback fails; ARI PlaybackFinished "failed"). */
  missingSounds?: string[];
  /** Asterisk's astlogdir (/var/log/asterisk), where queue_log is written; default `<spoolDir>-log`. */
  logDir?: string;
}

export interface ChannelInfo { id: string; name: string; state: string; linkedid: string; caller: string; bridgeId?: string; context: string; exten: string; app: string }
/**
 * One spying channel: `hears` are the channels whose audio reaches the spy (the target and whoever
 * is bridged with it), `heardBy` those who hear the spy: nobody when listening, the target when
 * whispering, the target and its bridge peers when barging.
 */
export interface AudioPath { listener: string; target: string; mode: 'listen' | 'whisper' | 'barge'; hears: string[]; heardBy: string[] }

export interface Simulator {
  readonly amiPort: number; readonly ariPort: number;
  readonly spoolDir: string;
  /** The queue_log file app_queue writes (logger.conf default queue_log = yes). */
  readonly queueLogPath: string;
  stop(): Promise<void>;
  registerEndpoint(id: string): void;
  unregisterEndpoint(id: string): void;
  setEndpointBehaviour(id: string, b: EndpointBehaviour): void;
  placeInboundCall(opts: { from: string; to: string; trunk?: string; variables?: Record<string, string> }): Promise<string>;
  hangup(channelIdOrName: string, cause?: number): void;
  sendDtmf(channelIdOrName: string, digits: string): void;
  /**
   * A phone sends a SIP REFER (its "transfer" key): a blind transfer of the other party to `exten` in
   * the transferer endpoint's context, reported like AMI BlindTransfer with IsExternal Yes (capture 09 D).
   */
  phoneTransfer(channelIdOrName: string, exten: string): boolean;
  channels(): ReadonlyArray<ChannelInfo>;
  /** SIP messages Asterisk sent that no AMI/ARI event reports: ARI /redirect's 302 and REFER. */
  sipMessages(): ReadonlyArray<SipMessage>;
  /** Who hears whom through ChanSpy/snoop (listen, whisper, barge). */
  audioPaths(): ReadonlyArray<AudioPath>;
  faults: {
    dropAmiConnections(): void; dropAriConnections(): void;
    delayResponses(ms: number): void;
    /** Deliver these AMI events `ms` late (0 or unset: on time). */
    lateEvents(names: string[], ms: number): void;
    restart(): Promise<void>;
  };
  /** Internals for the scenario driver and white-box tests. */
  readonly context: SimContext;
}

const DEFAULT_CONF = join(__dirname, '..', '..', 'test', 'fixtures', 'asterisk');

function readConf(dir: string, name: string): string {
  const p = join(dir, name);
  return existsSync(p) ? readFileSync(p, 'utf8') : '';
}

/**
 * The AMI user's `write=` privileges from manager.conf in the configuration directory, so the
 * simulator refuses what the real Asterisk would refuse that user; no manager.conf (or no section
 * for the user) means no restriction.
 */
function managerWrite(confDir: string, username: string): ReadonlySet<string> | undefined {
  const section = parseConf(readConf(confDir, 'manager.conf')).find((s) => s.name === username);
  if (!section) return undefined;
  const write = section.entries.filter(([k]) => k === 'write').flatMap(([, v]) => v.split(',')).map((v) => v.trim().toLowerCase()).filter(Boolean);
  return new Set(write);
}

function buildContext(o: Required<Pick<SimulatorOptions, 'timeScale' | 'soundMs'>> & { confDir: string; spoolDir: string; queueLog: string; log: Logger; missing: string[] }, stasis: StasisHost): SimContext {
  const pbx = new PbxCore(o.spoolDir, o.log);
  pbx.queueLogPath = o.queueLog;
  const endpoints = new EndpointRegistry(pbx);
  endpoints.load(parseConf(readConf(o.confDir, 'pjsip.conf')));
  const queues = new QueueManager(pbx);
  queues.load(parseConf(readConf(o.confDir, 'queues.conf')));
  const confbridges = new ConfBridgeManager(pbx);
  confbridges.load(parseConf(readConf(o.confDir, 'confbridge.conf')));
  const dialplan = parseDialplan(readConf(o.confDir, 'extensions.conf'));
  const sim: SimContext = {
    pbx, endpoints, queues, confbridges, dialplan, globals: new Map(dialplan.globals), astdb: new Map(), log: o.log, stasis,
    features: transferFeatures(parseConf(readConf(o.confDir, 'features.conf')).find((s) => s.name === 'general')?.resolved),
    timeScale: o.timeScale, soundMs: o.soundMs, missingSounds: new Set(o.missing),
    startDialplan: (ch, c, e, p) => startDialplan(sim, ch, c, e, p),
    startApplication: (ch, a, d) => startApplication(sim, ch, a, d),
  };
  return sim;
}

export async function startSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  const log = opts.logger ?? silentLogger();
  const host = opts.host ?? '127.0.0.1';
  const username = opts.username ?? 'hotline';
  const password = opts.password ?? 'hotline';
  const spoolDir = opts.spoolDir ?? mkdtempSync(join(tmpdir(), 'pbx-sim-'));
  const confDir = opts.confDir ?? DEFAULT_CONF;
  const logDir = opts.logDir ?? `${spoolDir}-log`;
  mkdirSync(logDir, { recursive: true });
  const queueLog = join(logDir, 'queue_log');
  const stasisProxy: StasisHost = { hasApp: (a) => ari.hasApp(a), run: (ch, a, args) => ari.runStasis(ch, a, args) };
  const mk = (): SimContext => buildContext({ confDir, spoolDir, queueLog, log, timeScale: opts.timeScale ?? 1, soundMs: opts.soundMs ?? 1000, missing: opts.missingSounds ?? [] }, stasisProxy);
  let sim = mk();
  const ami = new AmiServer(sim, { host, port: opts.amiPort ?? 0, username, password, write: managerWrite(confDir, username) });
  const ari = new AriServer(sim, { host, port: opts.ariPort ?? 0, username, password });
  await ami.start();
  await ari.start();
  let inbound = 0;

  const find = (idOrName: string) => {
    const ch = sim.pbx.findChannel(idOrName);
    if (!ch) throw new Error(`no such channel: ${idOrName}`);
    return ch;
  };

  const api: Simulator = {
    get amiPort() { return ami.port; },
    get ariPort() { return ari.port; },
    spoolDir,
    queueLogPath: queueLog,
    get context() { return sim; },
    async stop() {
      for (const ch of [...sim.pbx.channels.values()]) sim.pbx.hangup(ch, 16, 'silent');
      sim.pbx.closeAllRecordings();
      await ami.stop();
      await ari.stop();
    },
    registerEndpoint: (id) => sim.endpoints.register(id),
    unregisterEndpoint: (id) => sim.endpoints.unregister(id),
    setEndpointBehaviour(id, b) {
      const ep = sim.endpoints.get(id);
      if (!ep) throw new Error(`unknown PJSIP endpoint ${id}`);
      ep.behaviour = { ...b };
    },
    async placeInboundCall({ from, to, trunk = 'carrier', variables = {} }) {
      const ep = sim.endpoints.get(trunk);
      const context = ep?.context ?? 'from-caller';
      const cid = parseCallerId(from);
      const ch = sim.pbx.newChannel({ name: `PJSIP/${trunk}-${sim.pbx.nextPjsip()}`, tech: 'PJSIP', context, exten: to, state: 4, caller: { num: cid.num, name: cid.name || cid.num } });
      ch.endpoint = trunk;
      ch.protocolId = `${++inbound}-${process.pid}@127.0.0.1`;
      ch.connected = { num: '', name: '' };
      for (const [k, v] of [...(ep?.setVars ?? []), ...Object.entries(variables)]) sim.pbx.setVar(ch, k, v);
      if (ep) sim.endpoints.endpointChanged(ep);
      sim.startDialplan(ch, context, to, 1);
      return ch.id;
    },
    hangup(idOrName, cause = 16) {
      const ch = find(idOrName);
      // a BYE from a SIP party: HangupRequest without Cause (README, PJSIP facts)
      sim.pbx.hangup(ch, cause, ch.tech === 'PJSIP' ? 'remote-nocause' : 'remote');
    },
    sendDtmf(idOrName, digits) {
      const ch = find(idOrName);
      for (const d of digits) sendDtmf(sim, ch, d);
    },
    phoneTransfer(idOrName, exten) {
      const ch = find(idOrName);
      const ep = ch.endpoint ? sim.endpoints.get(ch.endpoint) : undefined;
      return blindTransfer(sim, ch, ep?.context ?? ch.context, exten, true);
    },
    channels: () => [...sim.pbx.channels.values()].map((c) => ({
      id: c.id, name: c.name, state: c.stateDesc, linkedid: c.linkedid, caller: c.caller.num, bridgeId: c.bridge?.id,
      context: c.context, exten: c.exten, app: c.app,
    })),
    sipMessages: () => [...sim.pbx.sipLog],
    audioPaths: () => [...sim.pbx.channels.values()].filter((c) => c.spying).map((c) => {
      const { target, mode } = c.spying!;
      const t = sim.pbx.channels.get(target);
      const peers = t?.bridge ? t.bridge.channels.filter((p) => p !== t).map((p) => p.id) : [];
      const heardBy = mode === 'listen' ? [] : mode === 'whisper' ? [target] : [target, ...peers];
      return { listener: c.id, target, mode, hears: [target, ...peers], heardBy };
    }),
    faults: {
      dropAmiConnections: () => ami.dropAll(),
      dropAriConnections: () => ari.dropAll(),
      delayResponses(ms) { ami.responseDelayMs = ms; ari.responseDelayMs = ms; },
      lateEvents(names, ms) { for (const n of names) { if (ms > 0) sim.pbx.lateEvents.set(n, ms); else sim.pbx.lateEvents.delete(n); } },
      async restart() {
        // Shutdown hangs every channel up (cause 16, as on "core stop now"), then a fresh core starts.
        for (const ch of [...sim.pbx.channels.values()]) sim.pbx.hangup(ch, 16, 'remote');
        await new Promise((r) => setTimeout(r, 20));
        sim.pbx.closeAllRecordings();
        await ami.stop();
        await ari.stop();
        sim = mk();
        ami.sim = sim;
        ari.setContext(sim);
        await ami.start(ami.port);
        await ari.start(ari.port);
      },
    },
  };
  return api;
}
export type { SipMessage } from './core/pbx';
