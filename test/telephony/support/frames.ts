/** AMI frames shaped like the captures (field names and order from 07/08), for scripted scenarios. */
import { frame } from './fake-ami';

const chan = (name: string, uid: string, state: string, num: string) => [
  ['Channel', name], ['ChannelState', state === 'Up' ? 6 : 4], ['ChannelStateDesc', state], ['CallerIDNum', num], ['CallerIDName', num],
  ['ConnectedLineNum', '<unknown>'], ['ConnectedLineName', '<unknown>'], ['Language', 'en'], ['AccountCode', ''],
  ['Context', 'from-caller'], ['Exten', '12345'], ['Priority', 1], ['Uniqueid', uid], ['Linkedid', uid.split('-')[0]],
] as Array<[string, string | number]>;

export const amiFrames = {
  newchannel: (name: string, uid: string, num = '13800138000') => frame([['Event', 'Newchannel'], ['Privilege', 'call,all'], ...chan(name, uid, 'Ring', num)]),
  newstate: (name: string, uid: string, state = 'Up') => frame([['Event', 'Newstate'], ['Privilege', 'call,all'], ...chan(name, uid, state, '13800138000')]),
  queueJoin: (name: string, uid: string, queue: string) => frame([['Event', 'QueueCallerJoin'], ['Privilege', 'agent,all'], ...chan(name, uid, 'Up', '13800138000'), ['Queue', queue], ['Position', 1], ['Count', 1]]),
  hangup: (name: string, uid: string, cause = 16) => frame([['Event', 'Hangup'], ['Privilege', 'call,all'], ...chan(name, uid, 'Up', '13800138000'), ['Cause', cause], ['Cause-txt', 'Normal Clearing']]),
  agentCompleteNoIds: (queue: string, iface: string, name: string) => frame([['Event', 'AgentComplete'], ['Privilege', 'agent,all'], ['Queue', queue],
    ['Interface', iface], ['MemberName', name], ['HoldTime', 2], ['TalkTime', 30], ['Reason', 'caller']]),
  coreShowChannel: (name: string, uid: string, bridgeId = '') => frame([['Event', 'CoreShowChannel'], ['ActionID', 'x'], ...chan(name, uid, 'Up', '13800138000'),
    ['Application', 'Queue'], ['ApplicationData', 'q-pjsip,t,,,60'], ['Duration', '00:00:05'], ['BridgeId', bridgeId]]),
  queueParams: (queue: string) => frame([['Event', 'QueueParams'], ['Queue', queue], ['Max', 0], ['Strategy', 'ringall'], ['Calls', 0], ['ActionID', 'x']]),
  queueMember: (queue: string, iface: string, name: string, status: number, inCall = 0, paused = 0) => frame([['Event', 'QueueMember'], ['Queue', queue],
    ['Name', name], ['Location', iface], ['StateInterface', iface], ['Membership', 'static'], ['Penalty', 0], ['CallsTaken', 0], ['LastCall', 0],
    ['LastPause', 0], ['LoginTime', 1795806870], ['InCall', inCall], ['Status', status], ['Paused', paused], ['PausedReason', ''], ['Wrapuptime', 0], ['ActionID', 'x']]),
  queueEntry: (queue: string, name: string, uid: string) => frame([['Event', 'QueueEntry'], ['Queue', queue], ['Position', 1], ['Channel', name],
    ['Uniqueid', uid], ['CallerIDNum', '13800138000'], ['CallerIDName', '13800138000'], ['ConnectedLineNum', 'unknown'], ['ConnectedLineName', 'unknown'],
    ['Wait', 1], ['Priority', 0], ['ActionID', 'x']]),
};
