import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { STARTER_ENTRIES, starterContent } from '../../src/knowledge/seed/load';
import { Analyzer, MaxMatchSegmenter } from '../../src/knowledge/search/analyzer';

const MEASURES = fs.readFileSync(path.resolve(__dirname, '../../../shared/seed/12345-hotline-measures.zh.txt'), 'utf8');

describe('starter content written from the measures (庆政办发〔2022〕157号)', () => {
  it('given the starter entries, then there are at least 60, each question unique and each basis citing articles that exist in the measures', () => {
    expect(STARTER_ENTRIES.length).to.be.at.least(60);
    expect(new Set(STARTER_ENTRIES.map((s) => s.q)).size).to.equal(STARTER_ENTRIES.length);
    for (const s of STARTER_ENTRIES) {
      const c = starterContent(s);
      expect(c.basis[0]).to.include({ document: '庆阳市12345政务服务便民热线管理办法', number: '庆政办发〔2022〕157号' });
      const articles = s.art.match(/第[一二三四五六七八九十]+条/g) ?? [];
      expect(articles, s.q).to.not.be.empty;
      for (const a of articles) expect(MEASURES.includes(a), `${s.q}: ${a}`).to.equal(true);
      expect(s.q).to.match(/[\u4e00-\u9fff]/);
      expect(s.a.length, s.q).to.be.greaterThan(15);
    }
  });

  it('given the fallback segmenter (no native jieba), then it still cuts known words whole and bigrams carry the rest', () => {
    const a = new Analyzer(new MaxMatchSegmenter(['住房公积金', '社保']));
    const r = a.analyze('我的住房公积金和社保');
    expect(r.words).to.include.members(['住房公积金', '社保']);
    expect(r.bigrams).to.include('^公积');
    expect(r.concepts.length).to.equal(2);
  });
});
