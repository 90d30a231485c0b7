import { settings, Setting, Config } from './schema';

import { z } from 'zod';

const AsteriskServerSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/),
  ami: z.object({ host: z.string().min(1), port: z.number().int().min(1).max(65535), username: z.string().min(1), password: z.string() }),
  ari: z.object({ url: z.string().url(), username: z.string().min(1), password: z.string(), app: z.string().min(1).default('hotline') }),
  /** Where this Asterisk's /var/spool/asterisk is visible to the service (a shared volume), for collecting recordings. */
  spoolDir: z.string().min(1).optional(),
  /**
   * Where this Asterisk's queue_log (astlogdir, /var/log/asterisk/queue_log) is visible to the service:
   * after a restart, calls that began while the service was down are rebuilt from it with Asterisk's times.
   */
  queueLog: z.string().min(1).optional(),
});
export type AsteriskServer = z.infer<typeof AsteriskServerSchema>;

/** The validated configuration, with derived defaults filled in. */
export type AppConfig = Omit<Config, 'demoMode' | 'asteriskServers'> & { demoMode: boolean; asteriskServers: AsteriskServer[] | undefined };

/** A configuration problem: one line naming the variable and what it expects. */
export class ConfigError extends Error {
  constructor(public readonly variable: string, public readonly expects: string, public readonly got: string) {
    super(`Invalid configuration: ${variable}=${JSON.stringify(got)} — expected ${expects}`);
    this.name = 'ConfigError';
  }
}

/** Validate the environment against the schema; throws ConfigError on the first bad value. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const out: Record<string, unknown> = {};
  for (const [key, s] of Object.entries(settings) as [string, Setting<unknown>][]) {
    const raw = env[s.env];
    const value = raw === undefined || raw === '' ? s.default : raw;
    if (value === undefined) {
      out[key] = undefined;
      continue;
    }
    const parsed = s.parse.safeParse(value);
    if (!parsed.success) throw new ConfigError(s.env, s.expects, s.secret ? '***' : value);
    out[key] = parsed.data;
  }
  const partial = out as Config;
  let asteriskServers: AsteriskServer[] | undefined;
  if (partial.asteriskServers !== undefined) {
    let json: unknown;
    try {
      json = JSON.parse(partial.asteriskServers);
    } catch {
      throw new ConfigError('ASTERISK_SERVERS', settings.asteriskServers.expects + ' (it is not JSON)', '***');
    }
    const parsed = z.array(AsteriskServerSchema).min(1).safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ConfigError('ASTERISK_SERVERS', `${settings.asteriskServers.expects} (at ${issue.path.join('.') || 'top'}: ${issue.message})`, '***');
    }
    const ids = parsed.data.map((s) => s.id);
    if (new Set(ids).size !== ids.length) throw new ConfigError('ASTERISK_SERVERS', 'unique server ids', ids.join(','));
    asteriskServers = parsed.data;
  }
  const config: AppConfig = { ...partial, asteriskServers, // A real database (DATABASE_URL) is somebody's system of record: demo accounts with a published
  // password and the simulated traffic only when asked for (DEMO_MODE=true), never by default.
    demoMode: partial.demoMode ?? (partial.nodeEnv !== 'production' && !partial.databaseUrl) };
  if (config.demoMode && config.nodeEnv === 'production') {
    throw new ConfigError('DEMO_MODE', 'false when NODE_ENV=production (demo users have published passwords)', 'true');
  }
  if (config.smsGateway === 'twilio') {
    for (const k of ['twilioAccountSid', 'twilioAuthToken', 'twilioFrom'] as const) {
      if (!config[k]) throw new ConfigError(settings[k].env, `${settings[k].expects} (required when SMS_GATEWAY=twilio)`, '');
    }
  }
  return config;
}

/** The README table, generated from the schema so the two cannot drift apart. */
export function configTableMarkdown(): string {
  const rows = ['| Variable | Default | Expects | Meaning |', '|---|---|---|---|'];
  for (const s of Object.values(settings) as Setting<unknown>[]) {
    const def = s.default === undefined ? '(unset)' : `\`${s.default}\``;
    rows.push(`| \`${s.env}\` | ${def} | ${s.expects.replace(/\|/g, '\\|')} | ${s.doc.replace(/\|/g, '\\|')} |`);
  }
  return rows.join('\n');
}
