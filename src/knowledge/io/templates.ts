import { COLUMNS } from './columns';

/**
 * The sheets units fill in. The township template (乡镇知识库) is the one-question-one-answer sheet
 * a township submits: the same columns, region level 乡镇, and examples of what a township knows
 * best. Examples are marked 示例 in the question so nobody imports them by accident unchanged.
 */
export type TemplateKind = 'general' | 'township';

const GENERAL_EXAMPLE = [
  '【示例】咨询类工单多久答复？',
  '咨询类工单，承办单位应在2个工作日内办结并答复。',
  '庆阳市12345政务服务便民热线管理办法',
  '庆政办发〔2022〕157号',
  '第二十一条',
  'QY-12345',
  '庆阳市12345政务服务便民热线中心',
  '市',
  '庆阳市',
  '12345热线/办理时限',
  '咨询、时限',
  '2022-11-29',
  '',
  '公开',
];

const TOWNSHIP_EXAMPLES = [
  ['【示例】镇便民服务中心几点上班？', '镇便民服务中心工作日上午9:00—12:00、下午13:30—17:30对外办公，节假日休息；急事可拨打镇值班电话。', '本镇便民服务中心工作制度', '', '第三条', 'XF-XJZ', 'XX区XX镇人民政府', '乡镇', 'XX镇', '乡镇事务/便民服务', '上班时间、办事', '2026-01-01', '', '公开'],
  ['【示例】在镇上办理低保要带什么材料？', '申请人持户口簿、身份证、家庭收入情况说明，到户籍所在地镇便民服务中心社会救助窗口提出申请，由镇人民政府受理审核。', '（填写本地低保审核确认办法名称）', '（文号）', '（条款）', 'XF-XJZ', 'XX区XX镇人民政府', '乡镇', 'XX镇', '社会救助/最低生活保障', '低保、申请材料', '2026-01-01', '2026-12-31', '公开'],
  ['【示例】村里路灯坏了找谁修？', '请联系所在村村委会登记，村委会汇总后报镇人民政府安排维修；也可拨打12345反映，工单将转镇人民政府办理。', '（填写本镇村级公共设施管护制度）', '', '', 'XF-XJZ', 'XX区XX镇人民政府', '乡镇', 'XX镇', '乡镇事务/公共设施', '路灯、维修', '2026-01-01', '', '内部'],
];

export function templateRows(kind: TemplateKind): string[][] {
  return kind === 'township' ? TOWNSHIP_EXAMPLES.map((r) => [...r]) : [[...GENERAL_EXAMPLE]];
}

export function templateInstructions(kind: TemplateKind): string[] {
  return [
    kind === 'township' ? '乡镇知识库“一问一答”报送模板 填写说明' : '12345热线知识库“一问一答”报送模板 填写说明',
    '依据：《庆阳市12345政务服务便民热线管理办法》（庆政办发〔2022〕157号）第二十四条——报送的知识信息要梳理成“一问一答”格式，注明依据、生效及下架时间、公开属性；按照“谁报送，谁负责”的原则承担相应责任。',
    '1. 每行一条知识；第1行为表头，请勿修改表头文字。黄色表头为必填列。',
    '2. 示例行（问题以【示例】开头）请删除后再导入。',
    '3. 时间按北京时间填写，格式 2026-01-01 或 2026-01-01 08:00；下架时间留空表示长期有效，到下架时间后条目自动不再显示。',
    '4. 区域级别填写 市、县区 或 乡镇；公开属性填写 公开 或 内部。',
    '5. 导入时系统逐行检查，发现错误会列出行号、列名和问题；默认有任何错误则整份文件不导入，改正后重新上传（也可选择只导入无误的行）。',
    '6. 导入后的条目为草稿，报送审核通过并发布后话务员才能检索到。',
    ...COLUMNS.map((c) => `· ${c.header}（${c.required ? '必填' : '选填'}）：${c.note}`),
  ];
}
