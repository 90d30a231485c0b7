/** /ari/bridges: create, list, get, destroy, addChannel, removeChannel, moh, play, record. */
import type { AriServer } from './server';
import type { Bridge } from '../core/bridge';
import type { Channel } from '../core/channel';
import { Route, Req, fail, noContent, okJson } from './http';
import { addHidden, bridgeAdd, bridgeRemove, createBridge, destroyBridge, removeHidden } from '../core/bridging';
import { startPlayback, startRecording } from './media';

export function bridgeRoutes(ari: AriServer): Route[] {
  const pbx = () => ari.sim.pbx;
  // GET says "Not Found" but the action routes say "Not found" (capture 06)
  const get = (id: string, reason = 'Not Found'): Bridge => pbx().bridges.get(id) ?? fail(404, reason, 'Bridge not found');

  const create = (r: Req, forcedId?: string) => {
    const types = (r.query.type ?? 'mixing').split(',');
    const id = forcedId ?? r.query.bridgeId;
    if (!types.every((t) => ['mixing', 'holding', 'dtmf_events', 'proxy_media', 'video_sfu', 'video_single', 'sdp_label'].includes(t)) || (id && pbx().bridges.has(id))) {
      fail(500, 'Internal Error', `Unable to create bridge. Possible duplicate bridge id '${id ?? '(null)'}'`);
    }
    const b = createBridge(pbx(), { kind: 'stasis', type: types.includes('holding') ? 'holding' : 'mixing', creator: 'Stasis', name: r.query.name ?? '', id });
    for (const app of ari.apps.values()) if (app.sockets.size) app.bridges.add(b.id);
    return okJson(b.toAri());
  };

  const chans = (r: Req): Channel[] => {
    if (!r.query.channel) fail(400, 'Bad Request', 'Missing parameter channel');
    return r.query.channel.split(',').map((id) => pbx().channels.get(id.trim()) ?? fail(400, 'Bad Request', 'Channel not found'));
  };

  const addChannel = (r: Req) => {
    const b = get(r.params.id, 'Not found');
    const list = chans(r);
    for (const ch of list) if (!ch.stasisApp) fail(422, 'Unprocessable Entity', 'Channel not in Stasis application');
    // events before the 204 (README)
    for (const ch of list) bridgeAdd(pbx(), b, ch, { role: r.query.role });
    return noContent();
  };

  const removeChannel = (r: Req) => {
    const b = get(r.params.id, 'Not found');
    const list = chans(r);
    for (const ch of list) if (ch.bridge !== b) fail(422, 'Unprocessable Entity', 'Channel not in this bridge');
    for (const ch of list) bridgeRemove(pbx(), b, ch);
    return noContent();
  };

  const mohStart = (r: Req) => {
    const b = get(r.params.id, 'Not found');
    if (!b.moh) {
      const ann = { name: `Announcer/ARI_MOH-${pbx().nextUnreal()};2`, id: `moh-${b.id}` } as Channel;
      b.moh = ann;
      addHidden(pbx(), b, ann);
    }
    void r;
    return noContent();
  };

  const mohStop = (r: Req) => {
    const b = get(r.params.id, 'Not found');
    if (b.moh) { const ann = b.moh; b.moh = undefined; removeHidden(pbx(), b, ann); }
    return noContent();
  };

  return [
    { method: 'GET', pattern: '/bridges', handler: () => okJson([...pbx().bridges.values()].filter((b) => b.kind === 'stasis').map((b) => b.toAri())) },
    { method: 'POST', pattern: '/bridges', handler: (r) => create(r) },
    { method: 'GET', pattern: '/bridges/:id', handler: (r) => okJson(get(r.params.id).toAri()) },
    { method: 'POST', pattern: '/bridges/:id', handler: (r) => (pbx().bridges.has(r.params.id) ? okJson(get(r.params.id).toAri()) : create(r, r.params.id)) },
    { method: 'DELETE', pattern: '/bridges/:id', handler: (r) => { const b = get(r.params.id, 'Not found'); return noContent(() => destroyBridge(pbx(), b)); } },
    { method: 'POST', pattern: '/bridges/:id/addChannel', handler: addChannel },
    { method: 'POST', pattern: '/bridges/:id/removeChannel', handler: removeChannel },
    { method: 'POST', pattern: '/bridges/:id/moh', handler: mohStart },
    { method: 'DELETE', pattern: '/bridges/:id/moh', handler: mohStop },
    { method: 'POST', pattern: '/bridges/:id/play', handler: (r) => startPlayback(ari, r, 'bridge', get(r.params.id, 'Not found').id) },
    { method: 'POST', pattern: '/bridges/:id/record', handler: (r) => startRecording(ari, r, 'bridge', get(r.params.id, 'Not found').id) },
  ];
}
