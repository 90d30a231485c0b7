/** Dialplan applications. Each returns 'next' (go on), 'jump' (location changed) or 'hangup'. */
import type { Channel } from '../core/channel';
import type { SimContext } from '../core/context';
import { evaluate, splitArgs, splitCondition, truthy } from './expr';
import { splitApp } from './parser';
import { writeVar } from './functions';
import { queueApp } from './app-queue';
import { dialApp } from './app-dial';
import { backgroundApp, playbackApp, readApp, recordApp, waitExtenApp, soundMs, mohApp, chanSpyApp, confBridgeApp } from './app-media';

export type AppResult = 'next' | 'jump' | 'hangup';
export type App = (sim: SimContext, ch: Channel, data: string) => Promise<AppResult>;

/** Parse Goto's `[[context,]exten,]priority` relative to the channel. */
export function gotoTarget(ch: Channel, data: string): { context: string; exten: string; priority: string } {
  const a = splitArgs(data).map((s) => s.trim());
  if (a.length >= 3) return { context: a[0], exten: a[1], priority: a[2] };
  if (a.length === 2) return { context: ch.context, exten: a[0], priority: a[1] };
  return { context: ch.context, exten: ch.exten, priority: a[0] };
}

export function jump(ch: Channel, t: { context: string; exten: string; priority: string | number }): AppResult {
  ch.pendingGoto = { context: t.context, exten: t.exten, priority: t.priority };
  return 'jump';
}

async function waitApp(_sim: SimContext, ch: Channel, data: string): Promise<AppResult> {
  const secs = Number(data || 0);
  await ch.sleep(Math.max(0, secs * 1000 * scale(_sim)));
  return 'next';
}

/** Simulator time scale for dialplan waits (SimulatorOptions.timeScale), so tests can run fast. */
export function scale(sim: SimContext): number { return sim.timeScale; }

const gotoIf: App = async (_sim, ch, data) => {
  const { cond, a, b } = splitCondition(data);
  const target = truthy(cond.trim()) ? a : b;
  if (!target.trim()) return 'next';
  return jump(ch, gotoTarget(ch, target));
};

const gosubStacks = new WeakMap<Channel, Array<{ context: string; exten: string; priority: number; args: number }>>();

const gosub: App = async (sim, ch, data) => {
  const paren = data.indexOf('(');
  const loc = paren >= 0 ? data.slice(0, paren) : data;
  const args = paren >= 0 ? splitArgs(data.slice(paren + 1, data.lastIndexOf(')'))) : [];
  const stack = gosubStacks.get(ch) ?? [];
  stack.push({ context: ch.context, exten: ch.exten, priority: ch.priority + 1, args: args.length });
  gosubStacks.set(ch, stack);
  args.forEach((v, i) => sim.pbx.setVar(ch, `ARG${i + 1}`, v));
  return jump(ch, gotoTarget(ch, loc));
};

const ret: App = async (sim, ch, data) => {
  const stack = gosubStacks.get(ch) ?? [];
  const top = stack.pop();
  if (!top) { sim.log.warn({ channel: ch.name }, 'simulator: Return without Gosub'); return 'hangup'; }
  if (data) sim.pbx.setVar(ch, 'GOSUB_RETVAL', data);
  return jump(ch, { context: top.context, exten: top.exten, priority: top.priority });
};

const setApp: App = async (sim, ch, data) => {
  const i = data.indexOf('=');
  if (i < 0) { sim.log.warn({ data }, 'simulator: Set requires name=value'); return 'next'; }
  writeVar(sim, ch, data.slice(0, i), data.slice(i + 1));
  return 'next';
};

const execIf: App = async (sim, ch, data) => {
  const { cond, a, b } = splitCondition(data);
  const what = truthy(cond.trim()) ? a : b;
  if (!what) return 'next';
  const { app, args } = splitApp(what);
  const impl = APPS[app.toLowerCase()];
  if (!impl) { sim.log.error({ app }, 'simulator: ExecIf of an unsupported application'); return 'hangup'; }
  return impl(sim, ch, args);
};

const stasisApp: App = async (sim, ch, data) => {
  const [app, ...args] = splitArgs(data);
  // Fail open: with no ARI application connected Stasis() fails and the dialplan continues.
  if (!sim.stasis.hasApp(app)) {
    sim.log.warn({ app, channel: ch.name }, 'simulator: Stasis application not registered; continuing in dialplan');
    sim.pbx.setVar(ch, 'STASISSTATUS', 'FAILED');
    return 'next';
  }
  sim.pbx.setVar(ch, 'STASISSTATUS', '');
  await sim.stasis.run(ch, app, args);
  sim.pbx.setVar(ch, 'STASISSTATUS', 'SUCCESS');
  return 'next';
};

const hangupApp: App = async (sim, ch, data) => {
  sim.pbx.hangup(ch, Number(data) || 16, 'soft');
  return 'hangup';
};

const logApp: App = async (sim, ch, data) => {
  const [level, ...msg] = splitArgs(data);
  sim.log.info({ channel: ch.name, level }, `dialplan: ${msg.join(',')}`);
  return 'next';
};

const mixMonitor: App = async (sim, ch, data) => {
  const [file, options] = splitArgs(data);
  sim.pbx.startMixMonitor(ch, file, options ?? '');
  return 'next';
};

export const APPS: Record<string, App> = {
  answer: async (sim, ch) => { sim.pbx.answer(ch); return 'next'; },
  noop: async () => 'next',
  set: setApp,
  mset: async (sim, ch, data) => { for (const kv of splitArgs(data)) await setApp(sim, ch, kv); return 'next'; },
  goto: async (_sim, ch, data) => jump(ch, gotoTarget(ch, data)),
  gotoif: gotoIf,
  gosub,
  gosubif: async (sim, ch, data) => {
    const { cond, a, b } = splitCondition(data);
    const t = truthy(cond.trim()) ? a : b;
    return t ? gosub(sim, ch, t) : 'next';
  },
  return: ret,
  wait: waitApp,
  ringing: async (sim, ch) => { sim.pbx.ringing(ch); return 'next'; },
  progress: async () => 'next',
  busy: async (sim, ch) => { sim.pbx.hangup(ch, 17, 'soft'); return 'hangup'; },
  congestion: async (sim, ch) => { sim.pbx.hangup(ch, 34, 'soft'); return 'hangup'; },
  hangup: hangupApp,
  playback: playbackApp,
  background: backgroundApp,
  read: readApp,
  waitexten: waitExtenApp,
  record: recordApp,
  mixmonitor: mixMonitor,
  stopmixmonitor: async (sim, ch) => { sim.pbx.stopMixMonitor(ch); return 'next'; },
  queue: queueApp,
  dial: dialApp,
  stasis: stasisApp,
  confbridge: confBridgeApp,
  chanspy: chanSpyApp,
  echo: async (_sim, ch) => { await ch.sleep(); return 'next'; },
  musiconhold: mohApp,
  log: logApp,
  verbose: async (sim, ch, data) => { const a = splitArgs(data); sim.log.debug({ channel: ch.name }, `dialplan: ${a.length > 1 ? a.slice(1).join(',') : a[0]}`); return 'next'; },
  execif: execIf,
  saydigits: async (sim, ch, data) => { await ch.sleep(data.length * soundMs(sim) / 2); return 'next'; },
  saynumber: async (sim, ch, data) => { await ch.sleep(String(data).length * soundMs(sim) / 2); return 'next'; },
};

export { evaluate };
