/**
 * The PBX loop: runs a channel through the dialplan one priority at a time, honouring Goto,
 * Redirect (pendingGoto) and hangups. An unknown application is an error: logged, channel hung up.
 */
import type { Channel } from '../core/channel';
import type { SimContext } from '../core/context';
import { findExtension } from './parser';
import { sub, UnknownFunctionError } from './functions';
import { APPS, AppResult } from './apps';

/** Resolve a priority spec (number or label) in context/exten. */
export function resolvePriority(sim: SimContext, context: string, exten: string, prio: number | string): number | undefined {
  if (typeof prio === 'number') return prio;
  if (/^\d+$/.test(prio.trim())) return Number(prio);
  const ext = findExtension(sim.dialplan, context, exten);
  return ext?.steps.find((s) => s.label === prio.trim())?.priority;
}

export function extensionExists(sim: SimContext, context: string, exten: string, prio: number | string = 1): boolean {
  const ext = findExtension(sim.dialplan, context, exten);
  if (!ext) return false;
  const p = resolvePriority(sim, context, exten, prio);
  return p !== undefined && ext.steps.some((s) => s.priority === p);
}

export function startDialplan(sim: SimContext, ch: Channel, context: string, exten: string, priority: number | string): void {
  void run(sim, ch, async () => {
    ch.context = context;
    ch.exten = exten;
    ch.priority = resolvePriority(sim, context, exten, priority) ?? 1;
    await loop(sim, ch);
    await runHangupExten(sim, ch);
  });
}

/**
 * pbx.c __ast_pbx_run: when the dialplan ends (a hangup, Hangup(), or running off the end), the `h`
 * extension of the channel's current context runs if there is one. The channel is already hung up:
 * only applications that do not wait make sense there (Set, GotoIf, NoOp …).
 */
async function runHangupExten(sim: SimContext, ch: Channel): Promise<void> {
  if (ch.pendingGoto && !ch.hungup) return;
  if (!findExtension(sim.dialplan, ch.context, 'h')) return;
  ch.pendingGoto = undefined;
  ch.exten = 'h';
  ch.priority = 1;
  for (let steps = 0; steps < 100; steps++) {
    if (ch.pendingGoto) { applyGoto(sim, ch); continue; }
    const step = findExtension(sim.dialplan, ch.context, ch.exten)?.steps.find((x) => x.priority === ch.priority);
    if (!step) return;
    let data: string;
    try { data = sub(sim, ch, step.args); } catch (err) { sim.log.error({ channel: ch.name, err: (err as Error).message }, 'simulator: h extension failed'); return; }
    sim.pbx.newExten(ch, step.app, data);
    const impl = APPS[step.app.toLowerCase()];
    if (!impl) { sim.log.error({ channel: ch.name, app: step.app }, 'simulator: application not supported in the h extension'); return; }
    const r = await impl(sim, ch, data);
    if (r === 'hangup') return;
    if (!ch.pendingGoto) ch.priority++;
  }
}

/** Run one application then hang up (AMI Originate Application=, ARI originate app=). */
export function startApplication(sim: SimContext, ch: Channel, app: string, data: string): void {
  void run(sim, ch, async () => {
    const impl = APPS[app.toLowerCase()];
    if (!impl) { sim.log.error({ app, channel: ch.name }, 'simulator: unknown application'); return; }
    const r = await impl(sim, ch, data);
    if (ch.pendingGoto && !ch.hungup) { applyGoto(sim, ch); await loop(sim, ch); return; }
    void r;
  });
}

async function run(sim: SimContext, ch: Channel, body: () => Promise<void>): Promise<void> {
  if (ch.pbxRunning || ch.hungup) return;
  ch.pbxRunning = true;
  try {
    await body();
  } catch (err) {
    sim.log.error({ err, channel: ch.name }, 'simulator: dialplan execution failed');
  } finally {
    ch.pbxRunning = false;
    // a channel whose dialplan was running when the far end hung up is soft-hung-up as the PBX unwinds (capture 01)
    if (ch.hangupHow === 'remote' && sim.pbx.channels.has(ch.id)) {
      sim.pbx.ami('SoftHangupRequest', 'call', [...ch.snapshot(), ['Cause', '16']]);
      // ARI shows the same second request, soft this time (captures ari/04, ari/05: op-A-2)
      sim.pbx.ari('ChannelHangupRequest', { cause: 16, soft: true, channel: ch.toAri() }, { channels: [ch] });
    }
    sim.pbx.destroy(ch);
  }
}

function applyGoto(sim: SimContext, ch: Channel): void {
  const g = ch.pendingGoto!;
  ch.pendingGoto = undefined;
  ch.context = g.context;
  ch.exten = g.exten;
  ch.priority = resolvePriority(sim, g.context, g.exten, g.priority) ?? 1;
}

async function loop(sim: SimContext, ch: Channel): Promise<void> {
  while (!ch.hungup) {
    if (ch.pendingGoto) { applyGoto(sim, ch); continue; }
    const ext = findExtension(sim.dialplan, ch.context, ch.exten);
    const step = ext?.steps.find((s) => s.priority === ch.priority);
    if (!step) {
      if (!ext) sim.log.warn({ channel: ch.name, context: ch.context, exten: ch.exten }, 'simulator: channel sent to invalid extension');
      return; // auto-fallthrough: Asterisk hangs the channel up
    }
    let data: string;
    try {
      data = sub(sim, ch, step.args);
    } catch (err) {
      if (err instanceof UnknownFunctionError) { sim.log.error({ channel: ch.name, err: err.message }, 'simulator: dialplan function error'); ch.hangupCause = 0; return; }
      throw err;
    }
    sim.pbx.newExten(ch, step.app, data);
    const impl = APPS[step.app.toLowerCase()];
    if (!impl) {
      sim.log.error({ channel: ch.name, app: step.app, context: ch.context, exten: ch.exten, priority: ch.priority }, 'simulator: dialplan application not supported; hanging up');
      sim.pbx.emit('unknownApplication', { channel: ch.name, app: step.app });
      return;
    }
    let r: AppResult;
    try {
      r = await impl(sim, ch, data);
    } catch (err) {
      if (err instanceof UnknownFunctionError) { sim.log.error({ channel: ch.name, err: err.message }, 'simulator: dialplan function error'); return; }
      throw err;
    }
    if (ch.hungup) return;
    if (ch.pendingGoto) continue;
    if (r === 'hangup') return;
    if (r === 'jump') continue;
    ch.priority++;
  }
}

/**
 * Dial's `b(context^exten^priority)`: a pre-dial handler run as a Gosub on each new outgoing channel
 * before it is called (where PJSIP_HEADER(add,…) puts headers on its INVITE). It ends at Return().
 */
export async function runPredial(sim: SimContext, ch: Channel, spec: string): Promise<void> {
  const [context = ch.context, exten = 's', prio = '1'] = spec.split('^');
  const saved = { context: ch.context, exten: ch.exten, priority: ch.priority };
  ch.context = context;
  ch.exten = exten;
  ch.priority = resolvePriority(sim, context, exten, prio) ?? 1;
  try {
    for (let steps = 0; steps < 200 && !ch.hungup; steps++) {
      if (ch.pendingGoto) { applyGoto(sim, ch); continue; }
      const step = findExtension(sim.dialplan, ch.context, ch.exten)?.steps.find((x) => x.priority === ch.priority);
      if (!step) { sim.log.warn({ channel: ch.name, spec }, 'simulator: pre-dial handler ran off its extension'); return; }
      const data = sub(sim, ch, step.args);
      sim.pbx.newExten(ch, step.app, data);
      if (step.app.toLowerCase() === 'return') return;
      const impl = APPS[step.app.toLowerCase()];
      if (!impl) { sim.log.error({ channel: ch.name, app: step.app }, 'simulator: application not supported in a pre-dial handler'); return; }
      const r = await impl(sim, ch, data);
      if (r === 'hangup') return;
      if (!ch.pendingGoto) ch.priority++;
    }
  } finally {
    ch.pendingGoto = undefined;
    ch.context = saved.context;
    ch.exten = saved.exten;
    ch.priority = saved.priority;
  }
}
