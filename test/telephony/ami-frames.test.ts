import { expect } from 'chai';
import { AmiFrame, AmiFrameParser } from '../../src/telephony/ami-frames';
import { amiBlocks, serverStream } from './support/transcripts';
import { readdirSync } from 'fs';
import path from 'path';
import { CAPTURES } from './support/transcripts';

function parseAll(chunks: string[], wants?: (n: string) => boolean) {
  const frames: AmiFrame[] = [];
  const skipped: string[] = [];
  const garbage: string[] = [];
  const banners: string[] = [];
  const p = new AmiFrameParser({ frame: (f) => frames.push(f), skipped: (n) => skipped.push(n), garbage: (s) => garbage.push(s), banner: (b) => banners.push(b) }, wants);
  for (const c of chunks) p.push(c);
  return { frames, skipped, garbage, banners };
}

function randomChunks(s: string, seed: number): string[] {
  const out: string[] = [];
  let x = seed;
  for (let i = 0; i < s.length;) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    const n = 1 + (x % 97);
    out.push(s.slice(i, i + n));
    i += n;
  }
  return out;
}

describe('telephony/AmiFrameParser on the real captures', () => {
  const files = readdirSync(path.join(CAPTURES, 'ami')).filter((f) => f.endsWith('.txt') && !f.startsWith('06-bad-input-b'));

  for (const file of files) {
    it(`given ${file}, when the server stream is parsed whole and in random chunks, then every server message is one frame`, () => {
      const blocks = amiBlocks(file).filter((b) => b.dir === 'S->C' && !b.body.startsWith('Asterisk Call Manager'));
      const whole = parseAll([serverStream(file)]);
      const chunked = parseAll(randomChunks(serverStream(file), file.length));
      expect(whole.banners).to.have.length(1);
      expect(whole.garbage).to.deep.equal([]);
      expect(whole.frames).to.have.length(blocks.length);
      expect(chunked.frames).to.deep.equal(whole.frames);
      const first = blocks[0].body.split('\r\n')[0].split(': ');
      expect(whole.frames[0][first[0].toLowerCase()]).to.equal(first[1]);
    });
  }

  it('given a filter that skips most events, when the stream arrives in random chunks (CRLF and bare LF), then kept and skipped frames match the whole-stream parse', () => {
    const wants = (n: string) => n === 'Hangup' || n === 'Newchannel' || n === 'QueueCallerJoin';
    const crlf = serverStream('09-pjsip-transfer-redirect-blind-atxfer-refer.txt');
    for (const text of [crlf, crlf.replace(/\r\n/g, '\n'), 'Event: VarSet\r\n\r\nEvent: Hangup\r\nUniqueid: 1\r\n\r\nEvent: VarSet\nA: b\n\nEvent: Hangup\nUniqueid: 2\n\n']) {
      const whole = parseAll([text], wants);
      for (const seed of [1, 7, 99]) {
        const chunked = parseAll(randomChunks(text, seed), wants);
        expect(chunked.frames).to.deep.equal(whole.frames);
        expect(chunked.skipped).to.deep.equal(whole.skipped);
      }
      const all = parseAll([text]);
      expect(whole.frames.length + whole.skipped.length).to.equal(all.frames.length);
      expect(whole.frames).to.deep.equal(all.frames.filter((f) => f.event === undefined || wants(String(f.event))));
    }
  });

  it('given a Command response, when parsed, then its Output is kept, and repeated Output lines become an array', () => {
    const { frames } = parseAll([serverStream('01-login-status-originate-queue.txt')]);
    const cmd = frames.find((f) => f.message === 'Command output follows');
    expect(cmd?.response).to.equal('Success');
    expect(cmd?.output).to.contain('Asterisk 22.10.1');
    const two = parseAll(['Response: Success\r\nActionID: 1\r\nOutput: a\r\nOutput: b\r\n\r\n']);
    expect(two.frames[0].output).to.deep.equal(['a', 'b']);
  });

  it('given bare LF, lowercase keys and Key:Value without a space, when parsed, then the frame reads the same', () => {
    const { frames } = parseAll(['event: Hangup\nuniqueid:1.2\nCause: 16\n\n']);
    expect(frames).to.deep.equal([{ event: 'Hangup', uniqueid: '1.2', cause: '16' }]);
  });

  it('given an unwanted event, when parsed, then it is skipped by name and never built', () => {
    const r = parseAll(['Event: VarSet\r\nVariable: X\r\n\r\nEvent: Hangup\r\nUniqueid: 1\r\n\r\n'], (n) => n === 'Hangup');
    expect(r.skipped).to.deep.equal(['VarSet']);
    expect(r.frames).to.deep.equal([{ event: 'Hangup', uniqueid: '1' }]);
  });

  it('given garbage lines and a frame without Event or Response, when parsed, then they are reported and parsing goes on', () => {
    const r = parseAll(['this is not ami\r\n\r\nFoo: bar\r\n\r\nEvent: Hangup\r\nnonsense\r\nUniqueid: 1\r\n\r\n']);
    expect(r.garbage).to.have.length(3);
    expect(r.frames).to.deep.equal([{ event: 'Hangup', uniqueid: '1' }]);
  });

  it('given the malformed-input capture, when parsed, then every message still parses', () => {
    const r = parseAll([serverStream('06-bad-input-b-malformed.txt')]);
    expect(r.frames.length).to.be.greaterThan(10);
    expect(r.frames.every((f) => f.event !== undefined || f.response !== undefined)).to.equal(true);
  });

  it('given a line that never ends, when it grows past the limit, then the buffer is dropped', () => {
    const garbage: string[] = [];
    const p = new AmiFrameParser({ frame: () => undefined, skipped: () => undefined, garbage: (s) => garbage.push(s), banner: () => undefined }, undefined, 1000);
    for (let i = 0; i < 20; i++) p.push('x'.repeat(100));
    expect(garbage.length).to.be.greaterThan(0);
  });
});
