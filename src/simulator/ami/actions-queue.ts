/** Queue actions: QueueStatus, QueueSummary, QueueAdd, QueueRemove, QueuePause, QueuePenalty. */
import type { Action, ActionCtx, Fields } from './actions';
import { aidField, err, ok } from './actions';

const truthy = (v: string | undefined): boolean => /^(yes|true|y|t|1|on)$/i.test(v ?? '');

const queueStatus: Action = (c) => {
  const { queues } = c.ami.sim;
  const qf = c.h('Queue');
  const mf = c.h('Member');
  const items: Fields[] = [];
  for (const q of queues.queues.values()) {
    if (qf && q.name !== qf) continue;
    items.push([['Event', 'QueueParams'], ...queues.paramsItem(q), ...aidField(c)]);
    for (const m of q.members) {
      if (mf && m.iface !== mf && m.name !== mf) continue;
      items.push([['Event', 'QueueMember'], ...queues.memberListItem(q, m), ...aidField(c)]);
    }
    q.entries.forEach((e, i) => {
      const ch = e.ch;
      items.push([['Event', 'QueueEntry'], ['Queue', q.name], ['Position', String(i + 1)], ['Channel', ch.name], ['Uniqueid', ch.id],
        ['CallerIDNum', ch.caller.num || 'unknown'], ['CallerIDName', ch.caller.name || 'unknown'], ['ConnectedLineNum', ch.connected.num || 'unknown'],
        ['ConnectedLineName', ch.connected.name || 'unknown'], ['Wait', String(Math.floor((Date.now() - e.joinedAt) / 1000))], ['Priority', '0'], ...aidField(c)]);
    });
  }
  // ListItems counts every item (QueueParams included, README)
  items.push([['Event', 'QueueStatusComplete'], ...aidField(c), ['EventList', 'Complete'], ['ListItems', String(items.length)]]);
  c.reply([['Response', 'Success'], ['EventList', 'start'], ['Message', 'Queue status will follow']], items);
};

const queueSummary: Action = (c) => {
  const { queues } = c.ami.sim;
  const qf = c.h('Queue');
  const items: Fields[] = [];
  for (const q of queues.queues.values()) {
    if (qf && q.name !== qf) continue;
    const loggedIn = q.members.filter((m) => queues.status(m) !== 5 && queues.status(m) !== 4).length;
    const available = q.members.filter((m) => queues.isAvailable(m) && !m.inCall && queues.status(m) === 1).length;
    const longest = q.entries.length ? Math.floor((Date.now() - Math.min(...q.entries.map((e) => e.joinedAt))) / 1000) : 0;
    items.push([['Event', 'QueueSummary'], ['Queue', q.name], ['LoggedIn', String(loggedIn)], ['Available', String(available)], ['Callers', String(q.entries.length)],
      ['HoldTime', String(q.holdtime)], ['TalkTime', String(q.talktime)], ['LongestHoldTime', String(longest)], ...aidField(c)]);
  }
  items.push([['Event', 'QueueSummaryComplete'], ...aidField(c), ['EventList', 'Complete'], ['ListItems', String(items.length)]]);
  c.reply([['Response', 'Success'], ['EventList', 'start'], ['Message', 'Queue summary will follow']], items);
};

const queueAdd: Action = (c) => {
  const q = c.h('Queue'); const iface = c.h('Interface');
  if (!q || !iface) { err(c, "'Interface' not specified."); return; }
  const r = c.ami.sim.queues.add(q, iface, { name: c.h('MemberName'), penalty: Number(c.h('Penalty') ?? 0) || 0, paused: truthy(c.h('Paused')),
    reason: c.h('Reason'), stateInterface: c.h('StateInterface'), wrapuptime: Number(c.h('Wrapuptime') ?? 0) || 0 });
  if (r === 'noqueue') err(c, 'Unable to add interface to queue: No such queue');
  else if (r === 'exists') err(c, 'Unable to add interface: Already there');
  else ok(c, 'Added interface to queue');
};

const queueRemove: Action = (c) => {
  const q = c.h('Queue'); const iface = c.h('Interface');
  if (!q || !iface) { err(c, 'Need \'Queue\' and \'Interface\' parameters.'); return; }
  const r = c.ami.sim.queues.remove(q, iface);
  if (r === 'noqueue') err(c, 'Unable to remove interface from queue: No such queue');
  else if (r === 'notthere') err(c, 'Unable to remove interface: Not there');
  else if (r === 'static') err(c, 'Member not dynamic');
  else ok(c, 'Removed interface from queue');
};

const queuePause: Action = (c: ActionCtx) => {
  const iface = c.h('Interface'); const paused = c.h('Paused');
  if (!iface || paused === undefined) { err(c, "Need 'Interface' and 'Paused' parameters."); return; }
  const p = truthy(paused);
  if (!c.ami.sim.queues.pause(c.h('Queue'), iface, p, c.h('Reason') ?? '')) { err(c, 'Interface not found'); return; }
  ok(c, p ? 'Interface paused successfully' : 'Interface unpaused successfully');
};

const queuePenalty: Action = (c) => {
  const iface = c.h('Interface'); const pen = c.h('Penalty');
  if (!iface || pen === undefined) { err(c, "Need 'Interface' and 'Penalty' parameters."); return; }
  const n = Number(pen);
  if (!Number.isInteger(n) || n < 0) { err(c, 'Invalid penalty'); return; }
  if (!c.ami.sim.queues.penalty(c.h('Queue'), iface, n)) { err(c, 'Invalid interface, queuename or penalty'); return; }
  ok(c, 'Interface penalty set successfully');
};

export const QUEUE_ACTIONS: Record<string, Action> = {
  queuestatus: queueStatus, queuesummary: queueSummary, queueadd: queueAdd, queueremove: queueRemove,
  queuepause: queuePause, queuepenalty: queuePenalty,
};
