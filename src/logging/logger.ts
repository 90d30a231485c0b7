import http from 'node:http';
import pino from 'pino';
import { maskPhone, maskPhonesInText } from './mask';

export type Logger = pino.Logger;

/** Keys whose values are caller personal data wherever they appear in a log object. */
const PHONE_KEYS = new Set([
  'caller', 'callerNumber', 'callerPhone', 'phone', 'callerid', 'callerIdNum', 'calleridnum',
  'connectedlinenum', 'ConnectedLineNum', 'CallerIDNum', 'number', 'msisdn', 'toNumber', 'fromNumber',
]);
const NAME_KEYS = new Set(['callerName', 'calleridname', 'CallerIDName', 'citizenName']);

function scrub(value: unknown, depth: number): unknown {
  if (depth > 6 || value === null || value === undefined) return value;
  if (typeof value === 'string') return maskPhonesInText(value);
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  // Requests and responses are left whole for their serializers (which keep only the path and the
  // status): copied into a plain object here, the response lost its `headersSent` getter and the
  // access log said `statusCode: null`.
  if (value instanceof http.IncomingMessage || value instanceof http.ServerResponse) return value;
  if (value instanceof Error) {
    // Database and driver errors quote the values they choked on: mask numbers in what they say.
    const e = value as Error & { detail?: unknown };
    return { type: e.name, message: maskPhonesInText(e.message), ...(typeof e.detail === 'string' ? { detail: maskPhonesInText(e.detail) } : {}), stack: e.stack ? maskPhonesInText(e.stack) : undefined };
  }
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (PHONE_KEYS.has(k) && (typeof v === 'string' || typeof v === 'number')) out[k] = maskPhone(String(v));
      else if (NAME_KEYS.has(k) && typeof v === 'string') out[k] = v ? Array.from(v)[0] + '**' : v;
      else out[k] = scrub(v, depth + 1);
    }
    return out;
  }
  return value;
}

export interface LoggerOptions {
  level?: string;
  name?: string;
  /** Where to write; defaults to stdout. Tests pass a stream to inspect output. */
  destination?: pino.DestinationStream;
}

/**
 * The one logger factory. Every log object and message is scrubbed of phone numbers before it is
 * written (第二十七条), so a careless `log.info({ caller })` cannot leak a citizen's number.
 */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const options: pino.LoggerOptions = {
    level: opts.level ?? 'info',
    name: opts.name ?? 'hotline',
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      log: (obj) => scrub(obj, 0) as Record<string, unknown>,
    },
    hooks: {
      logMethod(args, method) {
        const masked = args.map((a) => (typeof a === 'string' ? maskPhonesInText(a) : a)) as Parameters<typeof method>;
        method.apply(this, masked);
      },
    },
  };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}

/** A logger that writes nothing, for unit tests and tools. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
