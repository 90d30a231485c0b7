import { IndexedEntry } from '../src/knowledge/search/inverted-index';

/**
 * A synthetic but realistic knowledge base: entries built from real hotline subjects, actions,
 * caller groups and Qingyang regions, with answers of typical length. Deterministic (seeded).
 */
const SUBJECTS = ['社保', '医保', '住房公积金', '低保', '户口', '身份证', '驾驶证', '营业执照', '不动产证', '养老金', '残疾证', '居住证', '结婚登记', '出生医学证明', '新生儿医保', '学籍', '供暖', '燃气', '自来水', '物业费', '停车收费', '路灯', '噪音', '餐饮油烟', '拖欠工资', '失业保险金', '工伤认定', '生育津贴', '高龄补贴', '危房改造', '宅基地', '耕地地力补贴', '医疗救助', '临时救助', '公租房', '电动车上牌', '网约车', '出租车', '公交线路', '占道经营', '违章建筑', '垃圾清运', '下水道堵塞', '电梯维修', '充电桩安装', '快递投诉', '食品安全', '药品安全', '价格投诉', '消费维权', '教育收费', '校车', '幼儿园入园', '疫苗接种', '健康体检', '殡葬服务', '退役军人优待', '优抚金', '劳动合同', '社保卡', '医保卡', '电子证照', '个税汇算', '发票', '企业开办', '食品经营许可', '二手房过户', '契税', '房屋租赁备案', '农村合作医疗', '农机补贴', '种粮补贴', '取暖补贴', '燃气安全检查', '水费缴纳', '电费缴纳', '宽带安装', '老旧小区改造', '加装电梯', '小区绿化'];
const ACTIONS = ['怎么办理', '需要什么材料', '在哪里办', '多久能办好', '收费标准是多少', '可以网上办吗', '需要什么条件', '找哪个部门', '怎么查询', '怎么申请', '怎么缴纳', '丢了怎么补办', '过期了怎么办', '怎么投诉', '怎么转移', '能异地办理吗', '需要本人到场吗', '有补贴吗', '截止时间是什么时候', '办理流程是什么'];
const WHO = ['', '灵活就业人员', '退休职工', '外地户籍人员', '农村居民', '城镇居民', '在校学生', '老年人', '残疾人', '个体工商户', '小微企业', '高校毕业生', '失业人员', '军人家属', '低收入家庭', '外来务工人员'];
const REGIONS: { level: IndexedEntry['regionLevel']; name: string }[] = [
  { level: 'city', name: '庆阳市' },
  ...['西峰区', '庆城县', '环县', '华池县', '合水县', '正宁县', '宁县', '镇原县'].map((name) => ({ level: 'county' as const, name })),
  ...['肖金镇', '董志镇', '驿马镇', '曲子镇', '悦乐镇', '西华池镇', '山河镇', '早胜镇', '屯字镇'].map((name) => ({ level: 'township' as const, name })),
];
const UNITS = ['市人社局', '市医保局', '市住房公积金中心', '市民政局', '市公安局', '市市场监管局', '市自然资源局', '市住建局', '市交通运输局', '市城管局', '市教育局', '市卫健委', '市退役军人事务局', '市税务局', '市农业农村局', '市供电公司', '市水务公司'];
const MATERIALS = ['本人身份证', '户口簿', '社保卡', '营业执照副本', '不动产权证书', '近期免冠照片', '申请表', '劳动合同', '收入证明', '医院诊断证明'];
const TIMES = ['即时办结', '3个工作日内办结', '5个工作日内办结', '15个工作日内办结', '当月办结'];

export function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}
const pick = <T>(r: () => number, xs: readonly T[]) => xs[Math.floor(r() * xs.length)];

export function generateEntries(n: number, seed = 12345): IndexedEntry[] {
  const r = rng(seed);
  const out: IndexedEntry[] = [];
  for (let id = 1; id <= n; id++) {
    const subject = pick(r, SUBJECTS);
    const action = pick(r, ACTIONS);
    const who = pick(r, WHO);
    const region = pick(r, REGIONS);
    const unit = pick(r, UNITS);
    const m1 = pick(r, MATERIALS);
    const m2 = pick(r, MATERIALS);
    const question = `${region.level === 'city' ? '' : region.name}${who}${subject}${action}？`;
    const answer = `${who || '群众'}办理${subject}相关业务，请携带${m1}、${m2}等材料，到${region.name}政务服务中心${unit}窗口办理，也可通过“甘快办”APP网上申请。符合条件的${TIMES[id % TIMES.length]}，办理结果通过短信告知。如对${subject}${action.replace(/[？?]$/, '')}还有疑问，可拨打12345咨询。`;
    out.push({
      id,
      question,
      answer,
      basis: [{ document: `${unit}${subject}业务办理指南`, number: `庆${unit.slice(1, 3)}发〔2025〕${(id % 97) + 1}号`, article: `第${(id % 9) + 1}条` }],
      unitCode: `U${UNITS.indexOf(unit)}`,
      unitName: unit,
      regionLevel: region.level,
      regionName: region.name,
      categoryPath: [subject.length > 3 ? subject.slice(0, 2) : subject, action.slice(0, 2)],
      keywords: [subject, who].filter(Boolean),
      effectiveFrom: Date.now() - 86_400_000,
      removalAt: id % 10 === 0 ? Date.now() - 1000 : null, // a tenth already removed: filtered at query time
      visibility: id % 3 === 0 ? 'internal' : 'public',
      version: 1,
    });
  }
  return out;
}

/** Caller-style queries over the same subjects, phrased differently from the entries. */
export function generateQueries(n: number, seed = 777): string[] {
  const r = rng(seed);
  const SAID = ['咋办', '要带啥', '去哪办', '要多长时间', '收多少钱', '网上能办不', '找谁', '怎么查', '丢了咋整', '过期了咋弄', '能在外地办吗', '要本人去吗', '有没有补贴'];
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(`${pick(r, ['我想问一下', '请问', '', '你好，'])}${pick(r, WHO)}${pick(r, SUBJECTS)}${pick(r, SAID)}`);
  return out;
}
