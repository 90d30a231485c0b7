/** The few CLI commands the AMI `Command` action answers; anything else is "No such command". */
import type { SimContext } from '../core/context';

export function cliCommand(sim: SimContext, cmd: string): { ok: boolean; lines: string[] } {
  const c = cmd.trim().replace(/\s+/g, ' ');
  if (c === 'core show version') return { ok: true, lines: ['Asterisk 22.10.1 built by root @ vm on a x86_64 running Linux on 2026-11-27 18:46:31 UTC'] };
  if (c === 'core show uptime') { const s = Math.floor((Date.now() - sim.pbx.startedAt) / 1000); return { ok: true, lines: [`System uptime: ${s} seconds`, `Last reload: ${s} seconds`] }; }
  if (c === 'core show channels') {
    const lines = ['Channel              Location             State   Application(Data)'];
    for (const ch of sim.pbx.channels.values()) lines.push(`${ch.name.padEnd(20)} ${`${ch.exten}@${ch.context}:${ch.priority}`.padEnd(20)} ${ch.stateDesc.padEnd(7)} ${ch.app}(${ch.appData})`);
    lines.push(`${sim.pbx.channels.size} active channel${sim.pbx.channels.size === 1 ? '' : 's'}`);
    return { ok: true, lines };
  }
  // AstDB listing, formatted as Asterisk's `database show` ("%-50s: %-25s" per key, then a count).
  const db = /^database show(?: (\S+)(?: (\S+))?)?$/.exec(c);
  if (db) {
    const prefix = [db[1], db[2]].filter(Boolean).join('/');
    const keys = [...sim.astdb.keys()].filter((k) => !prefix || k === prefix || k.startsWith(prefix + '/')).sort();
    const lines = keys.map((k) => `${('/' + k).padEnd(50)}: ${String(sim.astdb.get(k)).padEnd(25)}`);
    lines.push(`${keys.length} result${keys.length === 1 ? '' : 's'} found.`);
    return { ok: true, lines };
  }
  const qs = /^queue show(?: (.+))?$/.exec(c);
  if (qs) {
    const lines: string[] = [];
    for (const q of sim.queues.queues.values()) {
      if (qs[1] && q.name !== qs[1]) continue;
      lines.push(`${q.name} has ${q.entries.length} calls (max ${q.maxlen || 'unlimited'}) in '${q.strategy}' strategy (${q.holdtime}s holdtime, ${q.talktime}s talktime), W:${q.weight}, C:${q.completed}, A:${q.abandoned}, SL:0.0%, SL2:0.0% within 0s`);
      lines.push(q.members.length ? '   Members: ' : '   No Members');
      for (const m of q.members) {
        const st = ['Unknown', 'Not in use', 'In use', 'Busy', 'Invalid', 'Unavailable', 'Ringing', 'Ring+Inuse', 'On Hold'][sim.queues.status(m)] ?? 'Unknown';
        lines.push(`      ${m.name} (${m.iface})${m.dynamic ? ' (dynamic)' : ''} (ringinuse ${m.ringinuse ? 'enabled' : 'disabled'})${m.paused ? ` (paused${m.pausedReason ? `:${m.pausedReason}` : ''})` : ''} (${st}) has taken ${m.callsTaken ? m.callsTaken : 'no'} calls`);
      }
      lines.push(q.entries.length ? '   Callers: ' : '   No Callers', '');
    }
    if (qs[1] && !lines.length) return { ok: true, lines: [`No such queue: ${qs[1]}.`] };
    return { ok: true, lines };
  }
  const words = c.split(' ');
  return { ok: false, lines: [`No such command '${c}' (type 'core show help ${words.slice(0, 2).join(' ')}' for other possible commands)`] };
}
