/** /ari/api-docs, playbacks, recordings, endpoints, applications, asterisk, sounds. */
import { readFileSync, existsSync } from 'fs';
import { join } from 'path';
import type { AriServer } from './server';
import { Route, Req, fail, noContent, okJson } from './http';
import { deleteStored, playbacksOf, readStored, recJson, recordingsOf, stopPlayback, stopRecording, storedFile, storedRecordings } from './media';

const DOCS_DIR = join(__dirname, 'api-docs');

export function miscRoutes(ari: AriServer): Route[] {
  const sim = () => ari.sim;

  /** api-docs as Asterisk serves them, with basePath built from the request's Host header. */
  const apiDoc = (r: Req) => {
    const name = r.params.file;
    const file = join(DOCS_DIR, name);
    if (!/^[A-Za-z]+\.json$/.test(name) || !existsSync(file)) fail(404, 'Not Found', 'Resource not found');
    const text = readFileSync(file, 'utf8').replace('"basePath":"http://127.0.0.1:8088/ari"', `"basePath":"http://${r.host}/ari"`);
    return { status: 200, reason: 'OK', raw: Buffer.from(text), contentType: 'application/json' };
  };

  const endpointJson = (id: string) => { const ep = sim().endpoints.get(id); return ep ? sim().endpoints.toAri(ep) : undefined; };
  const allEndpoints = () => [...sim().endpoints.endpoints.keys()].map((id) => endpointJson(id)!);

  const appJson = (name: string) => {
    const a = ari.apps.get(name) ?? fail(404, 'Not Found', 'Application not found');
    return {
      name: a.name, channel_ids: [...a.channels.keys()], bridge_ids: [...a.bridges], endpoint_ids: [...a.endpoints],
      device_names: [], events_allowed: [], events_disallowed: [],
    };
  };

  const subscribe = (r: Req, on: boolean) => {
    const a = ari.apps.get(r.params.name) ?? fail(404, 'Not Found', 'Application not found');
    const src = r.query.eventSource;
    if (!src) fail(400, 'Bad Request', 'Missing parameter eventSource');
    for (const s of src.split(',')) {
      const [kind, ...rest] = s.split(':');
      const id = rest.join(':');
      if (kind === 'channel') { if (!sim().pbx.channels.has(id)) fail(422, 'Unprocessable Entity', 'Event source does not exist'); if (on) a.channels.set(id, 'explicit'); else a.channels.delete(id); }
      else if (kind === 'bridge') { if (!sim().pbx.bridges.has(id)) fail(422, 'Unprocessable Entity', 'Event source does not exist'); if (on) a.bridges.add(id); else a.bridges.delete(id); }
      else if (kind === 'endpoint') {
        const res = id.split('/')[1];
        if (res && !sim().endpoints.get(res)) fail(422, 'Unprocessable Entity', 'Event source does not exist');
        if (on) a.endpoints.add(id); else a.endpoints.delete(id);
      } else fail(400, 'Bad Request', 'Invalid event source URI scheme');
    }
    return okJson(appJson(a.name));
  };

  return [
    { method: 'GET', pattern: '/api-docs/:file', handler: apiDoc },
    { method: 'GET', pattern: '/playbacks/:id', handler: (r) => okJson({ ...(playbacksOf(ari).get(r.params.id) ?? fail(404, 'Not Found', 'Playback not found')), timer: undefined }) },
    { method: 'DELETE', pattern: '/playbacks/:id', handler: (r) => { if (!playbacksOf(ari).has(r.params.id)) fail(404, 'Not Found', 'Playback not found'); return noContent(() => stopPlayback(ari, r.params.id)); } },
    { method: 'GET', pattern: '/recordings/live/:name', handler: (r) => okJson(recJson(recordingsOf(ari).get(r.params.name) ?? fail(404, 'Not Found', 'Recording not found'))) },
    { method: 'POST', pattern: '/recordings/live/:name/stop', handler: (r) => { if (!recordingsOf(ari).has(r.params.name)) fail(404, 'Not Found', 'Recording not found'); return noContent(() => stopRecording(ari, r.params.name)); } },
    { method: 'DELETE', pattern: '/recordings/live/:name', handler: (r) => { if (!recordingsOf(ari).has(r.params.name)) fail(404, 'Not Found', 'Recording not found'); return noContent(() => stopRecording(ari, r.params.name)); } },
    { method: 'GET', pattern: '/recordings/stored', handler: () => okJson(storedRecordings(ari)) },
    { method: 'GET', pattern: '/recordings/stored/:name', handler: (r) => { const s = storedFile(ari, r.params.name) ?? fail(404, 'Not Found', 'Recording not found'); return okJson({ name: r.params.name, format: s.format }); } },
    { method: 'GET', pattern: '/recordings/stored/:name/file', handler: (r) => { const s = storedFile(ari, r.params.name) ?? fail(404, 'Not Found', 'Recording not found'); return { status: 200, reason: 'OK', raw: readStored(s.path), contentType: s.format === 'wav' ? 'audio/wav' : 'application/octet-stream' }; } },
    { method: 'DELETE', pattern: '/recordings/stored/:name', handler: (r) => { const s = storedFile(ari, r.params.name) ?? fail(404, 'Not Found', 'Recording not found'); deleteStored(s.path); return noContent(); } },
    { method: 'GET', pattern: '/endpoints', handler: () => okJson(allEndpoints()) },
    { method: 'GET', pattern: '/endpoints/:tech', handler: (r) => { if (r.params.tech !== 'PJSIP') fail(404, 'Not Found', `No Endpoints found - invalid tech ${r.params.tech}`); return okJson(allEndpoints()); } },
    { method: 'GET', pattern: '/endpoints/:tech/:res', handler: (r) => okJson((r.params.tech === 'PJSIP' && endpointJson(r.params.res)) || fail(404, 'Not Found', 'Endpoint not found')) },
    { method: 'GET', pattern: '/applications', handler: () => okJson([...ari.apps.keys()].map((n) => appJson(n))) },
    { method: 'GET', pattern: '/applications/:name', handler: (r) => okJson(appJson(r.params.name)) },
    { method: 'POST', pattern: '/applications/:name/subscription', handler: (r) => subscribe(r, true) },
    { method: 'DELETE', pattern: '/applications/:name/subscription', handler: (r) => subscribe(r, false) },
    // AsteriskInfo as api-docs/asterisk.json models it: build, system, config and status, each optional
    // (`only=`), with Asterisk's time format (no colon in the offset).
    { method: 'GET', pattern: '/asterisk/info', handler: (r) => {
      const started = new Date(sim().pbx.startedAt).toISOString().replace('Z', '+0000');
      const all: Record<string, unknown> = {
        build: { os: 'Linux', kernel: '6.1.0', options: 'BUILD_NATIVE, OPTIONAL_API', machine: 'x86_64', date: '2026-11-27 18:46:31 UTC', user: 'root' }, // misc/cli-core-show-version.txt
        system: { version: '22.10.1', entity_id: '02:fc:00:00:00:01' },
        config: { name: '', default_language: 'en', max_channels: 0, max_open_files: 0, max_load: 0, setid: { user: '', group: '' } },
        status: { startup_time: started, last_reload_time: started },
      };
      const only = r.query.only ? r.query.only.split(',').map((x) => x.trim()) : Object.keys(all);
      return okJson(Object.fromEntries(Object.entries(all).filter(([k]) => only.includes(k))));
    } },
    { method: 'GET', pattern: '/asterisk/ping', handler: () => okJson({ asterisk_id: '02:fc:00:00:00:01', ping: 'pong', timestamp: new Date().toISOString().replace('Z', '+0000') }) },
    { method: 'GET', pattern: '/asterisk/variable', handler: (r) => { if (!r.query.variable) fail(400, 'Bad Request', 'Variable name is required'); return okJson({ value: sim().globals.get(r.query.variable) ?? '' }); } },
    { method: 'POST', pattern: '/asterisk/variable', handler: (r) => { if (!r.query.variable) fail(400, 'Bad Request', 'Variable name is required'); sim().globals.set(r.query.variable, r.query.value ?? ''); return noContent(); } },
    { method: 'GET', pattern: '/sounds', handler: () => okJson([]) },
    { method: 'GET', pattern: '/deviceStates', handler: () => okJson([]) },
  ];
}
