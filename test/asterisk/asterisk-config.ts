import fs from 'node:fs';
import path from 'node:path';

/**
 * The configuration a scratch Asterisk loads for the real-Asterisk suite: the project's dialplan/
 * unchanged except for where it binds and sends (rewritten to 127.0.0.1 and this run's free ports),
 * the AMI/ARI credentials, and Asterisk's spool path (this instance's spool); plus the files a
 * deployment keeps outside dialplan/ (asterisk.conf, logger, rtp, CDR/CEL), generated here.
 */
export interface InstancePlan {
  root: string;
  etcDir: string;
  dataDir: string;
  spoolDir: string;
  logDir: string;
  runDir: string;
  varLibDir: string;
  sipPort: number;
  amiPort: number;
  httpPort: number;
  rtpStart: number;
  rtpEnd: number;
  /** Source ports the carrier's callers (SIPp UACs) send from: the carrier trunk is identified by them. */
  carrierPorts: number[];
  /** Where the carrier trunk's contact points (nobody needs to listen there). */
  carrierContactPort: number;
  /** Where every county/emergency trunk contact points: the county stand-in (SIPp UAS). */
  countyPort: number;
  ami: { username: string; password: string };
  ari: { username: string; password: string };
}

const AST_SPOOL = '/var/spool/asterisk';

/** Extra modules kept out: they open sockets or talk to the outside and the dialplan needs none of them. */
const EXTRA_NOLOAD = ['pbx_dundi.so', 'res_phoneprov.so', 'res_pjsip_phoneprov_provider.so', 'res_hep.so', 'res_hep_pjsip.so', 'res_hep_rtcp.so', 'res_stun_monitor.so', 'res_calendar.so', 'res_xmpp.so', 'chan_motif.so', 'res_prometheus.so', 'cdr_radius.so', 'cel_radius.so', 'res_snmp.so'];

/** pjsip.conf: bind, contacts, identify and from_domain to loopback; RTP bound to loopback on every endpoint. */
export function rewritePjsip(src: string, plan: InstancePlan): string {
  let section = '';
  const out: string[] = [];
  for (const line of src.split('\n')) {
    const head = /^\s*\[([^\]]+)\]/.exec(line);
    if (head) section = head[1];
    const kv = /^(\s*)([A-Za-z_]+)(\s*=\s*)(.*)$/.exec(line);
    if (!kv) {
      out.push(line);
      continue;
    }
    const [, indent, key, eq, value] = kv;
    const set = (v: string) => out.push(`${indent}${key}${eq}${v}`);
    switch (key) {
      case 'bind':
        set(`127.0.0.1:${plan.sipPort}`);
        break;
      case 'contact': {
        const m = /^(sips?:)(?:([^@]*)@)?[^:;>]+(?::\d+)?(.*)$/.exec(value.trim());
        if (!m) throw new Error(`pjsip.conf: cannot rewrite contact ${value}`);
        const port = section.startsWith('carrier') ? plan.carrierContactPort : plan.countyPort;
        set(`${m[1]}${m[2] ? m[2] + '@' : ''}127.0.0.1:${port}${m[3]}`);
        break;
      }
      case 'match':
        // the carrier is known by its source address; here by the source ports of this run's callers
        set(plan.carrierPorts.map((p) => `127.0.0.1:${p}`).join(','));
        break;
      case 'from_domain':
        set('127.0.0.1');
        break;
      case 'type':
        out.push(line);
        if (value.trim() === 'endpoint') out.push('media_address=127.0.0.1', 'bind_rtp_to_media_address=yes');
        break;
      default:
        out.push(line);
    }
  }
  return out.join('\n');
}

function setKeys(src: string, values: Record<string, string>, inSection?: string): string {
  let section = '';
  return src
    .split('\n')
    .map((line) => {
      const head = /^\s*\[([^\]]+)\]/.exec(line);
      if (head) section = head[1];
      const kv = /^(\s*)([A-Za-z_]+)(\s*=\s*)(.*)$/.exec(line);
      if (kv && kv[2] in values && (!inSection || section === inSection)) return `${kv[1]}${kv[2]}${kv[3]}${values[kv[2]]}`;
      return line;
    })
    .join('\n');
}

/** Every file of the instance's etc directory, by name. */
export function renderConfig(dialplanDir: string, plan: InstancePlan): Record<string, string> {
  const read = (f: string) => fs.readFileSync(path.join(dialplanDir, f), 'utf8');
  const files: Record<string, string> = {};
  for (const f of fs.readdirSync(dialplanDir).filter((n) => n.endsWith('.conf'))) files[f] = read(f);

  files['pjsip.conf'] = rewritePjsip(files['pjsip.conf'], plan);
  files['manager.conf'] = setKeys(setKeys(files['manager.conf'], { port: String(plan.amiPort), bindaddr: '127.0.0.1' }, 'general'), { secret: plan.ami.password }, plan.ami.username);
  files['http.conf'] = setKeys(files['http.conf'], { bindaddr: '127.0.0.1', bindport: String(plan.httpPort) });
  files['ari.conf'] = setKeys(files['ari.conf'], { password: plan.ari.password }, plan.ari.username);
  // Record() names an absolute path under Asterisk's spool; this instance's spool is elsewhere.
  files['extensions.conf'] = files['extensions.conf'].split(AST_SPOOL + '/').join(plan.spoolDir + '/');
  files['modules.conf'] = files['modules.conf'].trimEnd() + '\n' + EXTRA_NOLOAD.map((m) => `noload=${m}`).join('\n') + '\n';

  files['asterisk.conf'] = [
    '[directories]',
    `astetcdir => ${plan.etcDir}`,
    `astvarlibdir => ${plan.varLibDir}`,
    `astdbdir => ${plan.varLibDir}`,
    `astkeydir => ${plan.varLibDir}`,
    `astdatadir => ${plan.dataDir}`,
    `astagidir => ${path.join(plan.root, 'agi-bin')}`,
    `astspooldir => ${plan.spoolDir}`,
    `astrundir => ${plan.runDir}`,
    `astlogdir => ${plan.logDir}`,
    `astcachedir => ${path.join(plan.root, 'cache')}`,
    '',
    '[options]',
    'verbose = 3',
    'debug = 0',
    'defaultlanguage = en',
    'hideconnect = yes',
    '',
  ].join('\n');
  files['logger.conf'] = '[general]\nqueue_log = yes\nqueue_log_to_file = yes\n\n[logfiles]\nmessages.log => notice,warning,error,verbose\nconsole => notice,warning,error\n';
  files['rtp.conf'] = `[general]\n; SIPp sends its RFC 4733 keys from another source port than its voice stream\nstrictrtp = no\nrtpstart = ${plan.rtpStart}\nrtpend = ${plan.rtpEnd}\n`;
  files['cdr.conf'] = '[general]\nenable = yes\n\n[csv]\nusegmtime = yes\nloguniqueid = yes\nloguserfield = yes\n';
  files['cel.conf'] = '[general]\nenable = yes\napps = all\nevents = ALL\n';
  files['cel_custom.conf'] =
    '[mappings]\nMaster.csv => ${CSV_QUOTE(${eventtype})},${CSV_QUOTE(${eventtime})},${CSV_QUOTE(${CALLERID(num)})},${CSV_QUOTE(${channame})},${CSV_QUOTE(${appname})},${CSV_QUOTE(${uniqueid})},${CSV_QUOTE(${linkedid})}\n';
  // Tones for the centre's country (ringback while Dial rings a transfer target).
  files['indications.conf'] = '[general]\ncountry = cn\n\n[cn]\ndescription = China\nringcadence = 1000,4000\ndial = 450\nbusy = 450/350,0/350\nring = 450/1000,0/4000\ncongestion = 450/700,0/700\ncallwaiting = 450/400,0/4000\ndialrecall = 450\nrecord = 950/400,0/10000\ninfo = 450/100,0/100,450/100,0/100,450/100,0/100,450/400,0/400\n';
  return files;
}
