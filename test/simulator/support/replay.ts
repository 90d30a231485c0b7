/**
 * Replays the client requests of a recorded AMI transcript against a server, pairing each
 * recorded response with the one the server gives now (matched by ActionID, in order).
 */
import { RawAmi } from './ami-client';
import { Message, get, readMessages } from './transcript';
import { until } from '../../support/until';

export interface Pair { request: Message; recorded?: Array<[string, string]>; actual?: Array<[string, string]> }

function responsesAfter(msgs: Message[], i: number, aid: string | undefined): Array<[string, string]> | undefined {
  for (let j = i + 1; j < msgs.length; j++) {
    const m = msgs[j];
    if (m.dir !== 'S->C' || !get(m, 'Response') || get(m, 'Event')) continue;
    if (get(m, 'ActionID') === aid) return m.fields;
  }
  return undefined;
}

export async function replay(file: string, port: number, o: { skip?: (req: Message) => boolean; raw?: RawAmi } = {}): Promise<{ pairs: Pair[]; ami: RawAmi }> {
  const msgs = readMessages(file);
  const ami = o.raw ?? new RawAmi(port);
  const pairs: Pair[] = [];
  for (let i = 0; i < msgs.length; i++) {
    const req = msgs[i];
    if (req.dir !== 'C->S' || o.skip?.(req)) continue;
    const aid = get(req, 'ActionID') ?? req.fields.find(([k]) => k.toLowerCase() === 'actionid')?.[1];
    const recorded = responsesAfter(msgs, i, aid);
    const before = ami.messages().filter((m) => m.some(([k]) => k === 'Response')).length;
    ami.send(req.raw);
    if (!recorded) { pairs.push({ request: req }); continue; }
    const actual = await until(() => {
      const rs = ami.messages().filter((m) => m.some(([k]) => k === 'Response') && !m.some(([k]) => k === 'Event'));
      return aid !== undefined ? rs.find((m) => m.find(([k]) => k === 'ActionID')?.[1] === aid) : rs[before];
    }, { timeoutMs: 4000, what: `response to ${aid ?? req.raw.trim()}` });
    pairs.push({ request: req, recorded, actual });
  }
  return { pairs, ami };
}
