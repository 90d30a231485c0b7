/** AMI action dispatch and the session/utility actions (Login, Ping, Command, Setvar, DB ...). */
import type { AmiMessage } from './protocol';
import { header } from './protocol';
import type { AmiServer, AmiSession } from './server';
import { parseEventMask } from './server';
import { QUEUE_ACTIONS } from './actions-queue';
import { CALL_ACTIONS } from './actions-calls';
import { LIST_ACTIONS } from './actions-lists';
import { cliCommand } from './cli';
import { writeVar, sub } from '../dialplan/functions';

export type Fields = Array<[string, string]>;
/** Send a response (first field is Response, ActionID is inserted second), then list items. */
export type ReplyFn = (fields: Fields, items?: Fields[], after?: () => void) => void;
export interface ActionCtx { ami: AmiServer; session: AmiSession; m: AmiMessage; aid?: string; reply: ReplyFn; h: (k: string) => string | undefined }
export type Action = (c: ActionCtx) => void;

export const ok = (c: ActionCtx, message?: string, extra: Fields = []): void =>
  c.reply([['Response', 'Success'], ...(message !== undefined ? [['Message', message] as [string, string]] : []), ...extra]);
export const err = (c: ActionCtx, message: string): void => c.reply([['Response', 'Error'], ['Message', message]]);
/** ActionID line for list items (omitted when the request had none). */
export const aidField = (c: ActionCtx): Fields => (c.aid !== undefined ? [['ActionID', c.aid]] : []);

const login: Action = (c) => {
  const { ami, session } = c;
  if (session.authed) { ok(c, 'Already authenticated'); return; }
  const user = c.h('Username') ?? '';
  const secret = c.h('Secret') ?? '';
  if (user !== ami.opts.username || secret !== ami.opts.password) {
    // Asterisk waits about a second before refusing, then closes the socket (capture 06a).
    setTimeout(() => {
      c.reply([['Response', 'Error'], ['Message', 'Authentication failed']], [], () => setTimeout(() => session.socket.end(), 5));
    }, 1000);
    return;
  }
  session.authed = true;
  session.eventClasses = parseEventMask(c.h('Events'));
  const uptime = String(Math.floor((Date.now() - ami.sim.pbx.startedAt) / 1000));
  c.reply([['Response', 'Success'], ['Message', 'Authentication accepted']], [], () => {
    if (session.eventClasses === null || session.eventClasses.has('system') || session.eventClasses.has('all')) {
      ami.sendTo(session, 'FullyBooted', 'system', [['Uptime', uptime], ['LastReload', uptime], ['Status', 'Fully Booted']]);
    }
    ami.securityEvent(session, 'SuccessfulAuth', 'Informational', [['AccountID', user], ['SessionID', session.id], ['LocalAddress', session.localAddress], ['RemoteAddress', session.remoteAddress], ['UsingPassword', '0']]);
  });
};

const logoff: Action = (c) => {
  c.reply([['Response', 'Goodbye'], ['Message', 'Thanks for all the fish.']], [], () => c.session.socket.end());
};

const ping: Action = (c) => {
  const t = Date.now() / 1000;
  c.reply([['Response', 'Success'], ['Ping', 'Pong'], ['Timestamp', t.toFixed(6)]]);
};

const events: Action = (c) => {
  const mask = c.h('EventMask');
  c.session.eventClasses = parseEventMask(mask);
  c.reply([['Response', 'Success'], ['Events', c.session.eventClasses?.size === 0 ? 'Off' : 'On']]);
};

const command: Action = (c) => {
  const cmd = c.h('Command') ?? '';
  const res = cliCommand(c.ami.sim, cmd);
  c.reply([['Response', res.ok ? 'Success' : 'Error'], ['Message', 'Command output follows'], ...res.lines.map((l) => ['Output', l] as [string, string])]);
};

const getvar: Action = (c) => {
  const name = c.h('Variable');
  if (!name) { err(c, 'No variable specified'); return; }
  const chName = c.h('Channel');
  const { sim } = c.ami;
  if (chName) {
    const ch = sim.pbx.findChannel(chName);
    if (!ch) { err(c, 'No such channel'); return; }
    const v = name.endsWith(')') ? sub(sim, ch, `\${${name}}`) : ch.vars.get(name) ?? sub(sim, ch, `\${${name}}`);
    ok(c, undefined, [['Variable', name], ['Value', v]]);
    return;
  }
  ok(c, undefined, [['Variable', name], ['Value', sim.globals.get(name) ?? '']]);
};

const setvar: Action = (c) => {
  const name = c.h('Variable');
  if (!name) { err(c, 'No variable specified'); return; }
  const value = c.h('Value') ?? '';
  const chName = c.h('Channel');
  const { sim } = c.ami;
  if (chName) {
    const ch = sim.pbx.findChannel(chName);
    if (!ch) { err(c, 'No such channel'); return; }
    try { writeVar(sim, ch, name, value); } catch (e) { err(c, (e as Error).message); return; }
  } else sim.globals.set(name, value);
  ok(c, 'Variable Set');
};

const dbGet: Action = (c) => {
  const family = c.h('Family'); const key = c.h('Key');
  if (!family) { err(c, 'No family specified.'); return; }
  if (!key) { err(c, 'No key specified.'); return; }
  const v = c.ami.sim.astdb.get(`${family}/${key}`);
  if (v === undefined) { err(c, 'Database entry not found'); return; }
  c.reply([['Response', 'Success'], ['EventList', 'start'], ['Message', 'Result will follow']], [
    [['Event', 'DBGetResponse'], ...aidField(c), ['Family', family], ['Key', key], ['Val', v]],
    [['Event', 'DBGetComplete'], ...aidField(c), ['EventList', 'Complete'], ['ListItems', '1']],
  ]);
};

const dbPut: Action = (c) => {
  const family = c.h('Family'); const key = c.h('Key');
  if (!family) { err(c, 'No family specified'); return; }
  if (!key) { err(c, 'No key specified'); return; }
  c.ami.sim.astdb.set(`${family}/${key}`, c.h('Val') ?? '');
  ok(c, 'Updated database successfully');
};

const dbDel: Action = (c) => {
  const family = c.h('Family'); const key = c.h('Key');
  if (!family) { err(c, 'No family specified.'); return; }
  if (!key) { err(c, 'No key specified.'); return; }
  if (!c.ami.sim.astdb.delete(`${family}/${key}`)) { err(c, 'Database entry not found'); return; }
  ok(c, 'Key deleted successfully');
};

/** Keys under /family[/key] as Asterisk's gettree statement selects them (`key || '/' LIKE prefix || '/%'`). */
function treeKeys(db: Map<string, string>, family?: string, key?: string): string[] {
  const prefix = family ? (key ? `/${family}/${key}` : `/${family}`) : '';
  return [...db.keys()].filter((k) => !prefix || `/${k}/`.startsWith(`${prefix}/`)).sort();
}

const dbGetTree: Action = (c) => {
  const db = c.ami.sim.astdb;
  const keys = treeKeys(db, c.h('Family') || undefined, c.h('Key') || undefined);
  // main/db.c manager_db_tree_get: the key with its leading slash, ActionID after the value.
  c.reply([['Response', 'Success'], ['EventList', 'start'], ['Message', 'Result will follow']], [
    ...keys.map((k): Fields => [['Event', 'DBGetTreeResponse'], ['Key', `/${k}`], ['Val', db.get(k) ?? ''], ...aidField(c)]),
    [['Event', 'DBGetTreeComplete'], ...aidField(c), ['EventList', 'Complete'], ['ListItems', String(keys.length)]],
  ]);
};

const dbDelTree: Action = (c) => {
  const family = c.h('Family');
  if (!family) { err(c, 'No family specified.'); return; }
  const db = c.ami.sim.astdb;
  const keys = treeKeys(db, family, c.h('Key') || undefined);
  if (!keys.length) { err(c, 'Database entry not found'); return; }
  for (const k of keys) db.delete(k);
  ok(c, 'Key tree deleted successfully');
};

/**
 * Write privileges the actions need (main/manager.c, main/db.c: ast_manager_register_xml_core);
 * any one of them admits. Actions not listed here are not checked by the simulator.
 */
const NEEDS: Record<string, readonly string[]> = {
  command: ['command'],
  dbget: ['system', 'reporting'], dbgettree: ['system', 'reporting'],
  dbput: ['system'], dbdel: ['system'], dbdeltree: ['system'],
};

const ACTIONS: Record<string, Action> = {
  login, logoff, ping, events, command, getvar, setvar, dbget: dbGet, dbput: dbPut, dbdel: dbDel, dbgettree: dbGetTree, dbdeltree: dbDelTree,
  ...QUEUE_ACTIONS, ...CALL_ACTIONS, ...LIST_ACTIONS,
};

export function dispatch(ami: AmiServer, session: AmiSession, m: AmiMessage, aid: string | undefined, reply: ReplyFn): void {
  const action = header(m, 'Action');
  const c: ActionCtx = { ami, session, m, aid, reply, h: (k) => header(m, k) };
  if (!action) {
    err(c, 'Missing action in request');
    if (session.authed) ami.securityEvent(session, 'RequestBadFormat', 'Error', [['SessionID', session.id], ['LocalAddress', session.localAddress], ['RemoteAddress', session.remoteAddress], ['RequestType', 'Action: NONE']], [['AccountID', ami.opts.username]]);
    return;
  }
  const name = action.toLowerCase();
  if (!session.authed && name !== 'login' && name !== 'challenge' && name !== 'logoff') { err(c, 'Permission denied'); return; }
  const impl = ACTIONS[name];
  if (!impl) {
    err(c, `Invalid/unknown command: ${action}. Use Action: ListCommands to show available commands.`);
    ami.securityEvent(session, 'RequestBadFormat', 'Error', [['SessionID', session.id], ['LocalAddress', session.localAddress], ['RemoteAddress', session.remoteAddress], ['RequestType', `Action: ${action}`]], [['AccountID', ami.opts.username]]);
    return;
  }
  const needs = NEEDS[name];
  const write = ami.opts.write;
  if (needs && write && !write.has('all') && !needs.some((p) => write.has(p))) {
    // Asterisk answers a registered action the user may not run exactly like this (manager.c process_message).
    err(c, 'Permission denied');
    return;
  }
  impl(c);
}
