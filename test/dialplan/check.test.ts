import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { checkDialplanDir } from '../../src/dialplan/check';

const DIALPLAN = path.resolve(__dirname, '../../dialplan');
const RECORDED_CONF = path.resolve(__dirname, '../../../shared/asterisk/conf');

function variant(edit: (files: Record<string, string>) => void): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialplan-'));
  fs.cpSync(DIALPLAN, dir, { recursive: true });
  const files: Record<string, string> = {};
  for (const f of fs.readdirSync(dir)) if (f.endsWith('.conf')) files[f] = fs.readFileSync(path.join(dir, f), 'utf8');
  edit(files);
  for (const [f, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), text);
  return dir;
}

describe('dialplan/ syntax check', () => {
  it('given the project dialplan, when checked, then it has no problems', () => {
    expect(checkDialplanDir(DIALPLAN)).to.deep.equal([]);
  });

  it('given the configuration a real Asterisk 22 loaded, when checked, then the checker accepts it too', function () {
    if (!fs.existsSync(RECORDED_CONF)) this.skip(); // ../shared is beside the repo in CI and sessions
    expect(checkDialplanDir(RECORDED_CONF)).to.deep.equal([]);
  });

  const broken: Array<[string, (f: Record<string, string>) => void, RegExp]> = [
    ['an unknown application', (f) => (f['extensions.conf'] = f['extensions.conf'].replace('Answer()', 'Anwser()')), /unknown application Anwser/],
    ['a Goto to a missing label', (f) => (f['extensions.conf'] = f['extensions.conf'].replace('?overflow)', '?overflw)')), /unknown label overflw/],
    ['a Gosub to a missing context', (f) => (f['extensions.conf'] = f['extensions.conf'].replace('Gosub(hotline-centre,s,1(QY', 'Gosub(hotline-centr,s,1(QY')), /unknown context hotline-centr/],
    ['an unclosed variable', (f) => (f['extensions.conf'] = f['extensions.conf'].replace('${HOTLINE_LINKEDID}.wav)', '${HOTLINE_LINKEDID.wav)')), /unbalanced|unclosed/],
    ['a prompt without audio', (f) => (f['extensions.conf'] = f['extensions.conf'].replace('Playback(hotline/welcome)', 'Playback(hotline/welcom)')), /prompt hotline\/welcom/],
    ['a queue missing from queues.conf', (f) => (f['queues.conf'] = f['queues.conf'].replace('[q-xf](hotline-queue)', '')), /queue q-xf is not in queues.conf/],
    ['an endpoint in an unknown context', (f) => (f['pjsip.conf'] = f['pjsip.conf'].replace('context=from-carrier', 'context=from-nowhere')), /unknown context from-nowhere/],
    ['an unknown template', (f) => (f['queues.conf'] = f['queues.conf'].replace('[q-hx](hotline-queue)', '[q-hx](hotline-queu)')), /unknown template hotline-queu/],
    ['an unknown function', (f) => (f['extensions.conf'] = f['extensions.conf'].replace('${DB(hotline-busy', '${DBX(hotline-busy')), /unknown function DBX/],
  ];
  for (const [what, edit, expected] of broken) {
    it(`given ${what}, when checked, then the problem is reported with its file`, () => {
      const dir = variant(edit);
      try {
        const problems = checkDialplanDir(dir);
        expect(problems.map((p) => `${p.file}:${p.line}: ${p.message}`).join('\n')).to.match(expected);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
