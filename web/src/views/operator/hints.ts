// Hints for the 第十七条 non-acceptance checklist drawn from what the operator typed. They only
// suggest: the operator decides, and accepting a flagged matter needs an explicit reason.
export const NOT_ACCEPT_HINTS: Array<{ code: string; words: RegExp }> = [
  { code: 'outside_jurisdiction', words: /外省|外地|兰州市|西安市|平凉市|不在庆阳|外市/ },
  { code: 'legal_procedure', words: /起诉|立案|仲裁|信访|复议|诉讼|法院|判决|纪检|监察委|申请政府信息公开/ },
  { code: 'secrets_or_privacy', words: /国家秘密|商业秘密|隐私|查询他人|别人的电话|身份证号/ },
  { code: 'emergency_line', words: /着火|火灾|失火|抢劫|车祸|交通事故|杀人|持刀|受伤流血|昏迷|急救|溺水|煤气泄漏|正在打架/ },
  { code: 'abuse_or_repeated_after_closure', words: /他妈的|混蛋|骂人|侮辱|诽谤/ },
];

export function hintsFor(text: string): string[] {
  const t = text.trim();
  const found = NOT_ACCEPT_HINTS.filter((h) => h.words.test(t)).map((h) => h.code);
  // 第十七条(六): nothing concrete to act on.
  if (t.length > 0 && t.length < 6) found.push('unclear_matter');
  return found;
}
