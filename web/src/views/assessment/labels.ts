export const MANUAL_ITEM_LABELS: Record<string, string> = { material_review: '材料审核', ledger: '台账记录', test_call: '人工拨测' };
export const TARGET_KIND_LABELS: Record<string, string> = { county: '县(区)热线', unit: '承办单位' };
export const RUN_STATES: Record<string, string> = { draft: '草稿', published: '已通报' };
