import { z } from 'zod';

/**
 * The one configuration schema. Every setting has its environment variable, a default (or none),
 * a parser that validates it and a line of documentation. The README's configuration table is
 * generated from this list (`npm run docs:config`) and a test checks the two agree.
 */
export interface Setting<T> {
  env: string;
  doc: string;
  /** Default as the string a user would write in the environment; undefined = optional/unset. */
  default?: string;
  /** Human description of what is expected, used in the start-up error. */
  expects: string;
  parse: z.ZodType<T>;
  secret?: boolean;
}

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const networkPeers = z
  .string()
  .transform((s, ctx) => {
    try {
      return JSON.parse(s) as unknown;
    } catch {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'not JSON' });
      return z.NEVER;
    }
  })
  .pipe(z.array(z.object({ code: z.string().regex(/^[A-Z][A-Z0-9]{1,7}$/), url: z.string().url(), key: z.string().min(32), unitCode: z.string().min(1) })).min(1));
const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');
const optionalUrl = (protocols: string[]) =>
  z.string().refine((v) => {
    try {
      const u = new URL(v);
      return protocols.includes(u.protocol.replace(/:$/, ''));
    } catch {
      return false;
    }
  });
const level = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);
/** A PostgreSQL memory size (kB, MB or GB) between min and max kilobytes, kept as written. */
const pgSize = (minKb: number, maxKb: number) =>
  z.string().refine((v) => {
    const m = /^(\d+)(kB|MB|GB)$/.exec(v);
    const kb = m ? Number(m[1]) * { kB: 1, MB: 1024, GB: 1024 * 1024 }[m[2] as 'kB' | 'MB' | 'GB'] : NaN;
    return kb >= minKb && kb <= maxKb;
  });
const timeOfDayRanges = z.string().regex(/^\d{2}:\d{2}-\d{2}:\d{2}(,\d{2}:\d{2}-\d{2}:\d{2})*$/);

export const settings = {
  nodeEnv: { env: 'NODE_ENV', default: 'development', expects: 'development, test or production', doc: 'production disables demo mode and demo users.', parse: z.enum(['development', 'test', 'production']) },
  port: { env: 'PORT', default: '3000', expects: 'a TCP port number 0-65535', doc: 'HTTP and WebSocket port of the service.', parse: port },
  host: { env: 'HOST', default: '0.0.0.0', expects: 'an interface address', doc: 'Interface the HTTP server listens on.', parse: z.string().min(1) },
  logLevel: { env: 'LOG_LEVEL', default: 'info', expects: 'fatal|error|warn|info|debug|trace|silent', doc: 'Minimum log level (pino).', parse: level },
  databaseUrl: { env: 'DATABASE_URL', expects: 'a postgres:// or postgresql:// URL', doc: 'PostgreSQL server. Unset: embedded PostgreSQL (PGlite) under DATA_DIR.', parse: optionalUrl(['postgres', 'postgresql']), secret: true },
  dataDir: { env: 'DATA_DIR', default: './data', expects: 'a directory path', doc: 'Where the embedded database and other local state live.', parse: z.string().min(1) },
  dbTemplate: { env: 'DB_TEMPLATE', default: 'built-in', expects: 'built-in, off, or a directory path', doc: 'A new embedded DATA_DIR starts as a copy of this migrated PGlite directory (built-in: the one `npm ci` builds under dist/); off initialises from scratch.', parse: z.string().min(1) },
  pgliteSharedBuffers: { env: 'PGLITE_SHARED_BUFFERS', default: '16MB', expects: 'a size from 128kB to 1GB, e.g. 16MB', doc: 'shared_buffers of the embedded PostgreSQL (PGlite keeps it resident for the life of the process; the data directory\'s pages beyond it come from the operating system\'s cache). Raise it for a large embedded database; ignored with DATABASE_URL.', parse: pgSize(128, 1024 * 1024) },
  redisUrl: { env: 'REDIS_URL', expects: 'a redis:// or rediss:// URL', doc: 'Redis for live state, pub/sub and the leader lock. Unset: in-process bus (single instance only).', parse: optionalUrl(['redis', 'rediss']), secret: true },
  redisPrefix: { env: 'REDIS_PREFIX', default: 'hotline:', expects: 'a key prefix', doc: 'Prefix of every Redis key and channel (several deployments can share one Redis).', parse: z.string().min(1) },
  demoMode: { env: 'DEMO_MODE', expects: 'true or false', doc: 'Demo users (on an empty user table) and the built-in simulator with simulated operators and callers. Default: true on the embedded database (DATABASE_URL unset) unless NODE_ENV=production; with DATABASE_URL only when set to true.', parse: bool },
  tokenTtlHours: { env: 'TOKEN_TTL_HOURS', default: '12', expects: 'a positive whole number of hours', doc: 'Lifetime of a login token (one operator shift).', parse: positiveInt },
  asteriskServers: { env: 'ASTERISK_SERVERS', expects: 'JSON array of {id,ami:{host,port,username,password},ari:{url,username,password,app}}', doc: 'Asterisk servers to drive (one per centre). Unset: in demo mode, the built-in simulator; otherwise none.', parse: z.string().min(2), secret: true },
  simulatorOperators: { env: 'SIM_OPERATORS', default: '4', expects: 'a whole number >= 0', doc: 'Demo mode: simulated operators answering calls in the built-in simulator.', parse: z.coerce.number().int().min(0) },
  simulatorCallersPerMinute: { env: 'SIM_CALLERS_PER_MINUTE', default: '6', expects: 'a number >= 0', doc: 'Demo mode: simulated callers arriving per minute.', parse: z.coerce.number().min(0) },
  fallbackWaitSeconds: { env: 'FALLBACK_WAIT_SECONDS', default: '120', expects: 'seconds, a whole number >= 10', doc: 'Predicted wait above which new callers hear the busy prompt (WeChat/website, SMS link, message).', parse: z.coerce.number().int().min(10) },
  satisfactionDial: { env: 'SATISFACTION_DIAL', default: 'PJSIP/{number}@carrier', expects: 'a dial string containing {number}', doc: 'How the IVR satisfaction visit (第二十二条(三)) dials the citizen back.', parse: z.string().includes('{number}') },
  wrapupSeconds: { env: 'WRAPUP_SECONDS', default: '10', expects: 'seconds, a whole number >= 0', doc: 'After-call work (话后处理) before an operator is ready again; match wrapuptime in queues.conf.', parse: z.coerce.number().int().min(0) },
  smsLinkText: { env: 'SMS_LINK_TEXT', default: '【庆阳12345】您好，线路繁忙时您可关注微信公众号“庆阳12345”或登录庆阳政务服务网提交诉求，我们将尽快办理。', expects: 'the SMS text (Simplified Chinese)', doc: 'Busy-fallback SMS sent when a caller presses 1 (第二十条(二)).', parse: z.string().min(10).max(500) },
  recordingsDir: { env: 'RECORDINGS_DIR', default: './data/recordings', expects: 'a directory path', doc: 'Where call recordings are collected and served from.', parse: z.string().min(1) },
  knowledgeIndexDir: { env: 'KNOWLEDGE_INDEX_DIR', expects: 'a directory path, or off', doc: 'Where the knowledge search index is saved, so a restart loads it and re-reads only the entries changed since instead of segmenting every entry again. Unset: DATA_DIR/knowledge-index; off: rebuilt at every start.', parse: z.string().min(1) },
  attachmentsDir: { env: 'ATTACHMENTS_DIR', expects: 'a directory path', doc: 'Where ticket attachments (附件) are kept (a shared volume when several instances run). Unset: DATA_DIR/attachments.', parse: z.string().min(1) },
  attachmentMaxMb: { env: 'ATTACHMENT_MAX_MB', default: '20', expects: 'megabytes, a whole number 1–200', doc: 'Largest ticket attachment accepted.', parse: z.coerce.number().int().min(1).max(200) },
  officeHours: { env: 'OFFICE_HOURS', default: '09:00-12:00,13:30-17:30', expects: 'HH:MM-HH:MM ranges separated by commas', doc: 'Office hours for working-hour limits (Asia/Shanghai).', parse: timeOfDayRanges },
  smsGateway: { env: 'SMS_GATEWAY', default: 'log', expects: 'log or twilio', doc: 'SMS gateway adapter: log (writes to the log only) or twilio.', parse: z.enum(['log', 'twilio']) },
  twilioAccountSid: { env: 'TWILIO_ACCOUNT_SID', expects: 'an account SID (AC…)', doc: 'Twilio-compatible gateway account.', parse: z.string().regex(/^AC[0-9a-fA-F]{32}$/) },
  twilioAuthToken: { env: 'TWILIO_AUTH_TOKEN', expects: 'the auth token', doc: 'Twilio-compatible gateway token; also verifies inbound SMS webhooks.', parse: z.string().min(8), secret: true },
  twilioFrom: { env: 'TWILIO_FROM', expects: 'a sender number', doc: 'Sender number for SMS.', parse: z.string().min(3) },
  publicBaseUrl: { env: 'PUBLIC_BASE_URL', expects: 'an http(s) URL', doc: 'Public URL of this service (for webhook signature checks).', parse: optionalUrl(['http', 'https']) },
  centreCode: { env: 'CENTRE_CODE', default: 'QY', expects: 'the centre code (QY for the city, HX, XF … for a county)', doc: 'Which centre this deployment is: ticket numbers start with it, and it names this centre in the network.', parse: z.string().regex(/^[A-Z][A-Z0-9]{1,7}$/) },
  networkRole: { env: 'NETWORK_ROLE', default: 'standalone', expects: 'standalone, city or county', doc: 'Place in the city–county network (第二十五条): a county pushes every fact to its city; the city receives and sends tickets down. Needs PostgreSQL (DATABASE_URL).', parse: z.enum(['standalone', 'city', 'county']) },
  networkParentUrl: { env: 'NETWORK_PARENT_URL', expects: 'the city platform\'s http(s) base URL', doc: 'County: where facts are pushed (the city service).', parse: optionalUrl(['http', 'https']) },
  networkKey: { env: 'NETWORK_KEY', expects: 'a secret of at least 32 characters', doc: 'County: the HMAC key this centre shares with the city.', parse: z.string().min(32), secret: true },
  networkPeers: { env: 'NETWORK_PEERS', expects: 'JSON array of {code,url,key,unitCode}', doc: 'City: the counties (centre code, base URL, HMAC key, the unit code tickets are dispatched to).', parse: networkPeers, secret: true },
  shutdownTimeoutMs: { env: 'SHUTDOWN_TIMEOUT_MS', default: '10000', expects: 'milliseconds, a positive whole number', doc: 'Longest graceful shutdown before the process exits anyway.', parse: positiveInt },
} satisfies Record<string, Setting<unknown>>;

export type Settings = typeof settings;
type Out<K extends keyof Settings> = z.output<Settings[K]['parse']>;
export type Config = { [K in keyof Settings]: Settings[K] extends { default: string } ? Out<K> : Out<K> | undefined };
