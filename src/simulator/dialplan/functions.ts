/** Dialplan variables and functions: the read side (`${...}`) and the write side (`Set(F(x)=v)`). */
import type { Channel } from '../core/channel';
import type { SimContext } from '../core/context';
import { VarScope, evaluate, splitArgs, splitCondition, substitute, truthy } from './expr';

const BUILTIN: Record<string, (ch: Channel) => string> = {
  EXTEN: (c) => c.exten, CONTEXT: (c) => c.context, PRIORITY: (c) => String(c.priority), CHANNEL: (c) => c.name,
  UNIQUEID: (c) => c.id, EPOCH: () => String(Math.floor(Date.now() / 1000)), HANGUPCAUSE: (c) => String(c.hangupCause),
  CALLERIDNUM: (c) => c.caller.num, CALLERIDNAME: (c) => c.caller.name, LANGUAGE: (c) => c.language,
};

export function scopeFor(sim: SimContext, ch: Channel): VarScope {
  return {
    getVar: (name) => {
      if (ch.vars.has(name)) return ch.vars.get(name);
      if (ch.vars.has(`_${name}`)) return ch.vars.get(`_${name}`);
      if (ch.vars.has(`__${name}`)) return ch.vars.get(`__${name}`);
      const b = BUILTIN[name];
      if (b) return b(ch);
      return sim.globals.get(name);
    },
    callFunction: (name, args) => readFunction(sim, ch, name, args),
  };
}

export function sub(sim: SimContext, ch: Channel, s: string): string {
  return substitute(s, scopeFor(sim, ch));
}

export class UnknownFunctionError extends Error {}

function readFunction(sim: SimContext, ch: Channel, name: string, args: string): string {
  const a = splitArgs(args);
  switch (name) {
    case 'CALLERID': {
      const what = (a[0] ?? '').toLowerCase();
      if (what === 'num' || what === 'number') return ch.caller.num;
      if (what === 'name') return ch.caller.name;
      if (what === 'all') return `"${ch.caller.name}" <${ch.caller.num}>`;
      return '';
    }
    case 'CONNECTEDLINE': return (a[0] ?? '').toLowerCase() === 'name' ? ch.connected.name : ch.connected.num;
    case 'DB': return sim.astdb.get(a[0]) ?? '';
    case 'DB_EXISTS': return sim.astdb.has(a[0]) ? '1' : '0';
    case 'DB_DELETE': { const v = sim.astdb.get(a[0]) ?? ''; sim.astdb.delete(a[0]); return v; }
    case 'GLOBAL': return sim.globals.get(a[0]) ?? '';
    case 'CHANNEL': {
      const what = (a[0] ?? '').toLowerCase();
      const map: Record<string, string> = { name: ch.name, uniqueid: ch.id, linkedid: ch.linkedid, state: ch.stateDesc, language: ch.language,
        channeltype: ch.tech, context: ch.context, exten: ch.exten, accountcode: ch.accountcode, musicclass: ch.moh ?? 'default' };
      return map[what] ?? '';
    }
    case 'IF': {
      const { cond, a: t, b: f } = splitCondition(args);
      return truthy(cond.trim()) ? t : f;
    }
    case 'IFTIME': return splitCondition(args).b;
    case 'LEN': return String(args.length);
    case 'ISNULL': return args === '' ? '1' : '0';
    case 'EXISTS': return args !== '' ? '1' : '0';
    case 'TOUPPER': return args.toUpperCase();
    case 'TOLOWER': return args.toLowerCase();
    case 'MATH': return evaluate(args);
    case 'CUT': {
      const [v, d, f] = a;
      const parts = (scopeFor(sim, ch).getVar(v) ?? '').split(d || '-');
      const idx = Number(f || 1) - 1;
      return parts[idx] ?? '';
    }
    case 'STRFTIME': return new Date(Number(a[0] || Date.now() / 1000) * 1000).toISOString();
    case 'QUEUE_MEMBER_COUNT': return String(sim.queues.queues.get(a[0])?.members.length ?? 0);
    case 'QUEUE_WAITING_COUNT': return String(sim.queues.queues.get(a[0])?.entries.length ?? 0);
    case 'QUEUE_MEMBER': {
      const q = sim.queues.queues.get(a[0]);
      if (!q) return '';
      const opt = (a[1] ?? '').toLowerCase();
      if (opt === 'logged' || opt === 'count') return String(q.members.length);
      if (opt === 'free' || opt === 'ready') return String(q.members.filter((m) => sim.queues.isAvailable(m) && !m.inCall).length);
      if (opt === 'paused') return String(q.members.filter((m) => m.paused).length);
      return '';
    }
    case 'DEVICE_STATE': return sim.pbx.lastDeviceState(a[0]);
    case 'PJSIP_ENDPOINT': return '';
    case 'SHELL': throw new UnknownFunctionError('SHELL is not supported by the simulator');
    default:
      throw new UnknownFunctionError(`Function ${name} is not supported by the simulator`);
  }
}

/** Set(name=value) where name may be a function: CALLERID(num), DB(a/b), GLOBAL(x) ... */
export function writeVar(sim: SimContext, ch: Channel, name: string, value: string): void {
  const fm = /^([A-Za-z_]+)\((.*)\)$/.exec(name.trim());
  if (!fm) { sim.pbx.setVar(ch, name.trim(), value); return; }
  const fn = fm[1].toUpperCase();
  const arg = fm[2];
  switch (fn) {
    case 'CALLERID': {
      const what = arg.toLowerCase();
      if (what === 'num' || what === 'number') sim.pbx.setCallerId(ch, value, ch.caller.name);
      else if (what === 'name') sim.pbx.setCallerId(ch, ch.caller.num, value);
      else { const m = /^"?([^"<]*)"?\s*<([^>]*)>$/.exec(value); sim.pbx.setCallerId(ch, m ? m[2] : value, m ? m[1].trim() : ''); }
      return;
    }
    case 'CONNECTEDLINE':
      if (arg.toLowerCase() === 'name') sim.pbx.setConnected(ch, ch.connected.num, value); else sim.pbx.setConnected(ch, value, ch.connected.name);
      return;
    case 'DB': sim.astdb.set(arg, value); return;
    case 'GLOBAL': sim.globals.set(arg, value); return;
    case 'PJSIP_HEADER': {
      // PJSIP_HEADER(add,Name) on an outgoing PJSIP channel (a pre-dial handler): a header on its INVITE.
      const [action, header] = arg.split(',').map((x) => x.trim());
      if (ch.tech !== 'PJSIP') { sim.log.warn({ channel: ch.name }, 'simulator: PJSIP_HEADER on a non-PJSIP channel'); return; }
      if (action === 'add' && header) ch.sipHeaders[header] = value;
      else if (action === 'remove' && header) delete ch.sipHeaders[header];
      return;
    }
    case 'CHANNEL':
      if (arg.toLowerCase() === 'language') ch.language = value;
      else if (arg.toLowerCase() === 'musicclass') ch.moh = value;
      else if (arg.toLowerCase() === 'accountcode') ch.accountcode = value;
      return;
    default:
      throw new UnknownFunctionError(`Function ${fn} cannot be written by the simulator`);
  }
}
