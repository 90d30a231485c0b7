/**
 * One test's AMI session on the simulator: actions through the unmodified asterisk-manager@0.2.0,
 * the exact event stream through a raw socket (the library lowercases keys and merges repeats).
 */
import { RawAmi } from './ami-client';
import { Ev, fld } from './compare';
import { until } from '../../support/until';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const AsteriskManager = require('asterisk-manager');

type Lib = { on: Function; action: Function; disconnect: Function };

export class AmiSession {
  readonly raw: RawAmi;
  readonly lib: Lib;
  readonly libEvents: Array<Record<string, string>> = [];
  constructor(port: number) {
    this.lib = new AsteriskManager(port, '127.0.0.1', 'hotline', 'hotline', true);
    this.lib.on('managerevent', (e: Record<string, string>) => this.libEvents.push(e));
    this.raw = new RawAmi(port);
    this.raw.send(['Action: Login', 'Username: hotline', 'Secret: hotline']);
  }
  async ready(): Promise<void> {
    await until(() => this.libEvents.some((e) => e.event === 'FullyBooted') && this.raw.messages().length > 0, { what: 'both AMI sessions logged in' });
  }
  /** Send an action through the library; resolves with its (lowercased) response, errors included. */
  action(fields: Record<string, unknown>): Promise<Record<string, string>> {
    return new Promise((resolve) => this.lib.action(fields, (err: Record<string, string> | undefined, res: Record<string, string>) => resolve(err ?? res)));
  }
  events(): Ev[] { return this.raw.messages().filter((m) => fld(m, 'Event')); }
  find(pred: (e: Ev) => boolean): Ev | undefined { return this.events().find(pred); }
  count(event: string, pred: (e: Ev) => boolean = () => true): number { return this.events().filter((e) => fld(e, 'Event') === event && pred(e)).length; }
  async waitFor(event: string, pred: (e: Ev) => boolean = () => true, n = 1, timeoutMs = 5000): Promise<Ev> {
    await until(() => this.count(event, pred) >= n, { timeoutMs, what: `${n}× ${event}` });
    return this.events().filter((e) => fld(e, 'Event') === event && pred(e))[n - 1];
  }
  close(): void { this.raw.close(); this.lib.disconnect(); }
}

/** The recorded server events of a capture. */
export { readMessages } from './transcript';
