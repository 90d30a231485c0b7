/** List actions: CoreShowChannels, PJSIPShowEndpoints/Contacts, Confbridge*, ExtensionState. */
import type { Action, Fields } from './actions';
import { aidField, err } from './actions';

const hms = (ms: number): string => {
  const s = Math.floor(ms / 1000);
  return [Math.floor(s / 3600), Math.floor(s / 60) % 60, s % 60].map((n) => String(n).padStart(2, '0')).join(':');
};

const coreShowChannels: Action = (c) => {
  const items: Fields[] = [];
  for (const ch of c.ami.sim.pbx.channels.values()) {
    items.push([['Event', 'CoreShowChannel'], ...aidField(c), ...ch.snapshot(), ['Application', ch.app], ['ApplicationData', ch.appData],
      ['Duration', hms(Date.now() - ch.createdAt)], ['BridgeId', ch.bridge?.id ?? '']]);
  }
  items.push([['Event', 'CoreShowChannelsComplete'], ...aidField(c), ['EventList', 'Complete'], ['ListItems', String(items.length)]]);
  c.reply([['Response', 'Success'], ['EventList', 'start'], ['Message', 'Channels will follow']], items);
};

const pjsipShowEndpoints: Action = (c) => {
  const reg = c.ami.sim.endpoints;
  const items: Fields[] = [];
  const eps = [...reg.endpoints.values()].sort((a, b) => a.id.localeCompare(b.id));
  for (const ep of eps) {
    items.push([['Event', 'EndpointList'], ...aidField(c), ['ObjectType', 'endpoint'], ['ObjectName', ep.id], ['Transport', 'transport-udp'], ['Aor', ep.aors],
      ['Auths', ep.auth], ['OutboundAuths', ''], ['Contacts', ep.contactUri ? `${ep.id}/${ep.contactUri},` : ep.staticContact ? `${ep.id}/${ep.staticContact},` : ''],
      ['DeviceState', reg.deviceStateText(ep)], ['ActiveChannels', String(reg.channelIds(ep).length)]]);
  }
  items.push([['Event', 'EndpointListComplete'], ...aidField(c), ['EventList', 'Complete'], ['ListItems', String(eps.length)]]);
  c.reply([['Response', 'Success'], ['EventList', 'start'], ['Message', 'A listing of Endpoints follows, presented as EndpointList events']], items);
};

const pjsipShowContacts: Action = (c) => {
  const eps = [...c.ami.sim.endpoints.endpoints.values()].filter((e) => e.registered);
  // with no registered contact Asterisk answers an Error whose Message ends in a bare LF (capture 07)
  if (!eps.length) { c.reply([['Response', 'Error'], ['Message', 'No Contacts found\n']]); return; }
  const items: Fields[] = eps.map((ep) => [['Event', 'ContactList'], ...aidField(c), ['ObjectType', 'contact'], ['ObjectName', `${ep.id};@${Buffer.from(ep.contactUri ?? '').toString('hex').slice(0, 32)}`],
    ['ViaAddr', '127.0.0.1'], ['QualifyTimeout', '3.000000'], ['Qualify2xxOnly', 'false'], ['CallId', ep.id], ['RegServer', ''], ['PruneOnBoot', 'no'], ['Path', ''],
    ['Endpoint', ep.id], ['ViaPort', (ep.contactUri ?? '').split(':').pop() ?? ''], ['AuthenticateQualify', 'no'], ['Uri', ep.contactUri ?? ''], ['QualifyFrequency', '60'],
    ['UserAgent', 'hotline-simulator'], ['ExpirationTime', String(Math.floor(Date.now() / 1000) + 3600)], ['OutboundProxy', ''], ['Status', 'Reachable'], ['RoundtripUsec', '500']] as Fields);
  items.push([['Event', 'ContactListComplete'], ...aidField(c), ['EventList', 'Complete'], ['ListItems', String(eps.length)]]);
  c.reply([['Response', 'Success'], ['EventList', 'start'], ['Message', 'A listing of Contacts follows, presented as ContactList events']], items);
};

const extensionState: Action = (c) => {
  const exten = c.h('Exten') ?? ''; const context = c.h('Context') ?? 'default';
  c.reply([['Response', 'Success'], ['Message', 'Extension Status'], ['Exten', exten], ['Context', context], ['Hint', ''], ['Status', '-1'], ['StatusText', 'Unknown']]);
};

const confbridgeListRooms: Action = (c) => {
  const confs = [...c.ami.sim.confbridges.conferences.values()];
  if (!confs.length) { err(c, 'No active conferences.'); return; }
  const items: Fields[] = confs.map((cf) => [['Event', 'ConfbridgeListRooms'], ...aidField(c), ['Conference', cf.name], ['Parties', String(cf.members.size)], ['Marked', '0'], ['Locked', 'No'], ['Muted', 'No']] as Fields);
  items.push([['Event', 'ConfbridgeListRoomsComplete'], ...aidField(c), ['EventList', 'Complete'], ['ListItems', String(confs.length)]]);
  c.reply([['Response', 'Success'], ['EventList', 'start'], ['Message', 'Confbridge conferences will follow']], items);
};

const confbridgeList: Action = (c) => {
  const conf = c.h('Conference');
  if (!conf) { err(c, 'No Conference name provided.'); return; }
  const list = c.ami.sim.confbridges.listItems(conf);
  if (!list.length) { err(c, 'No active conferences.'); return; }
  const items: Fields[] = list.map((m) => [['Event', 'ConfbridgeList'], ...aidField(c), ['Conference', conf], ['Admin', 'No'], ['MarkedUser', 'No'], ['WaitMarked', 'No'],
    ['EndMarked', 'No'], ['EndMarkedAny', 'No'], ['Waiting', 'No'], ['Muted', 'No'], ['Talking', 'No'], ['AnsweredTime', String(Math.floor((Date.now() - m.joinedAt) / 1000))], ...m.ch.snapshot()] as Fields);
  items.push([['Event', 'ConfbridgeListComplete'], ...aidField(c), ['EventList', 'Complete'], ['ListItems', String(list.length)]]);
  c.reply([['Response', 'Success'], ['EventList', 'start'], ['Message', 'Confbridge user list will follow']], items);
};

const confbridgeKick: Action = (c) => {
  const conf = c.h('Conference'); const chan = c.h('Channel');
  if (!conf || !chan) { err(c, 'No Conference name provided.'); return; }
  if (!c.ami.sim.confbridges.kick(conf, chan)) { err(c, 'No Conference by that name found.'); return; }
  c.reply([['Response', 'Success'], ['Message', 'User kicked']]);
};

export const LIST_ACTIONS: Record<string, Action> = {
  coreshowchannels: coreShowChannels, pjsipshowendpoints: pjsipShowEndpoints, pjsipshowcontacts: pjsipShowContacts,
  extensionstate: extensionState, confbridgelistrooms: confbridgeListRooms, confbridgelist: confbridgeList, confbridgekick: confbridgeKick,
};
