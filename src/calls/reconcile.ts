import { TelephonyHub } from '../telephony';
import { CallRecorder } from './call-recorder';
import { CallStore } from './call-store';

/**
 * After the service (re)connects: calls our records say are still going but whose caller channel
 * Asterisk no longer has ended while we were away. They are ended now, marked `reconciled`, through
 * the same recorder path as live events (a synthetic hangup keyed like the live one, so a late live
 * event cannot end the call twice).
 */
export async function reconcileOpenCalls(store: CallStore, hub: TelephonyHub, serverId: string, recorder: CallRecorder): Promise<number> {
  const live = hub.ami(serverId).view.channels;
  let ended = 0;
  for (const call of await store.openCalls(serverId)) {
    const channelId = call.caller_channel_id;
    if (channelId && live.has(channelId)) continue;
    if (!channelId && Date.now() - call.started_at.getTime() < 60_000) continue; // still being set up
    recorder.handle({ type: 'ChannelHungUp', serverId, source: 'ami', at: Date.now(), synthetic: true, reason: 'resync', channelId: channelId ?? call.linkedid, channel: '', linkedId: call.linkedid, cause: 16, causeText: 'Normal Clearing (reconciled)' });
    ended++;
  }
  await recorder.idle();
  return ended;
}
