/**
 * The real-Asterisk suite may send SIP and RTP only to 127.0.0.0/8. Before an instance is started,
 * every configuration file it will load is scanned here; any address outside loopback (an IP literal,
 * a host name where Asterisk would send or bind, an IPv6 address) refuses the start.
 *
 * Access lists (manager.conf deny/permit …) name networks Asterisk accepts connections from, not places
 * it sends to, so their netmasks are not addresses; they are skipped.
 */

/** Keys whose value is an address Asterisk binds to, sends to, or resolves. */
const ADDRESS_KEYS = new Set([
  'bind', 'bindaddr', 'tlsbindaddr', 'match', 'contact', 'media_address', 'from_domain', 'outbound_proxy',
  'external_media_address', 'external_signaling_address', 'server_uri', 'client_uri',
  'stunaddr', 'turnaddr', 'host', 'fromdomain', 'registrar', 'proxy', 'bindip',
]);
/** Access lists: the networks Asterisk accepts from (netmasks, 0.0.0.0/0 "everyone" in deny). */
const ACL_KEYS = new Set(['deny', 'permit', 'contactdeny', 'contactpermit', 'acl', 'contact_deny', 'contact_permit']);
const IPV4 = /(?<![\d.])(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?![\d.])/g;
const SIP_URI_HOST = /sips?:(?:[^@\s;>]*@)?(\[[^\]]*\]|[^:;>\s,]+)/gi;

export interface GuardViolation {
  file: string;
  line: number;
  text: string;
  reason: string;
}

function isLoopbackV4(a: string): boolean {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(a);
  return !!m && Number(m[1]) === 127 && m.slice(2).every((o) => Number(o) <= 255);
}

/** The host part of an address value: `127.0.0.1:5060`, `sip:u@h:p;x=y`, `[::1]:5060`, `h/24`. */
function hostsOf(value: string): string[] {
  const out: string[] = [];
  for (const part of value.split(',')) {
    let v = part.trim();
    if (!v) continue;
    const uri = /^sips?:(?:[^@]*@)?(.*)$/i.exec(v);
    if (uri) v = uri[1];
    v = v.split(/[;>]/)[0];
    if (v.startsWith('[')) {
      out.push(v.slice(0, v.indexOf(']') + 1));
      continue;
    }
    v = v.split('/')[0];
    // host:port (a single colon); anything with more colons is an unbracketed IPv6 literal
    const colons = (v.match(/:/g) ?? []).length;
    out.push(colons === 1 ? v.split(':')[0] : v);
  }
  return out;
}

/**
 * Every violation in the given files (name → content, Asterisk .conf syntax). An empty list means
 * every address is in 127.0.0.0/8.
 */
export function loopbackViolations(files: Record<string, string>): GuardViolation[] {
  const found: GuardViolation[] = [];
  for (const [file, content] of Object.entries(files)) {
    content.split('\n').forEach((raw, i) => {
      const text = raw.replace(/(^|[^\\]);.*$/, '$1').trim();
      if (!text || text.startsWith('[')) return;
      const add = (reason: string) => found.push({ file, line: i + 1, text: raw.trim(), reason });
      const kv = /^([A-Za-z0-9_.-]+)\s*(?:=>|=)\s*(.*)$/.exec(text);
      const key = kv ? kv[1].toLowerCase() : '';
      const value = kv ? kv[2] : text;
      if (ACL_KEYS.has(key)) return;
      if (ADDRESS_KEYS.has(key)) {
        for (const h of hostsOf(value)) {
          if (!isLoopbackV4(h)) add(`${key} names "${h}", not an IPv4 literal in 127.0.0.0/8`);
        }
        return;
      }
      // Anywhere else (dialplan, other files): IP literals and SIP URI hosts must be loopback too.
      for (const m of value.matchAll(IPV4)) {
        if (!isLoopbackV4(m[0])) add(`address ${m[0]} outside 127.0.0.0/8`);
      }
      for (const m of value.matchAll(SIP_URI_HOST)) {
        const h = m[1];
        if (h.startsWith('$')) continue; // a dialplan variable, checked where it is set
        if (!isLoopbackV4(h)) add(`SIP URI host "${h}" is not an IPv4 literal in 127.0.0.0/8`);
      }
      if (/\[[0-9a-f:]*:[0-9a-f:]*\]/i.test(value)) add('an IPv6 address');
    });
  }
  return found;
}

/** Throws with every violation listed, so nothing is started on a config that could leave loopback. */
export function assertLoopbackOnly(files: Record<string, string>): void {
  const v = loopbackViolations(files);
  if (v.length) {
    throw new Error(
      'refusing to start Asterisk: configuration names addresses outside 127.0.0.0/8:\n' +
        v.map((x) => `  ${x.file}:${x.line}: ${x.text} (${x.reason})`).join('\n'),
    );
  }
}
