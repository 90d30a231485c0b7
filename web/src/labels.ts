import { reactive } from 'vue';
import { get } from './api/http';

export const OPERATOR_STATES: Record<string, string> = { ready: '置闲', ringing: '振铃', on_call: '通话中', wrapup: '话后处理', paused: '小休', logged_out: '未签入' };
export const PAUSE_REASONS: Record<string, string> = { break: '小休', meal: '用餐', training: '培训', meeting: '会议', after_call_work: '话后处理', callback: '回拨', other: '其他' };
export const ROLE_NAMES: Record<string, string> = { operator: '话务员', expert: '专家座席', supervisor: '值班长', unit_handler: '承办单位', admin: '系统管理员', auditor: '审计员' };
export const LINE_KINDS: Record<string, string> = { city: '市级热线', county: '县区热线', branch: '分中心', parallel: '双号并行', expert: '专家座席', emergency: '紧急联动', utility: '公共事业' };
export const TRANSFER_STATES: Record<string, string> = { dialing: '呼叫中', ringing: '振铃中', consulting: '已接通(咨询中)', answered: '已接通', landed: '已转出', transferred: '已转出', completed: '已转出', busy: '忙', failed: '失败', no_answer: '无人接听', cancelled: '已取消,回到来电', returned: '来电已回到您', ended: '已结束', active: '通话中', joining: '加入中' };
export const MISSED_STATES: Record<string, string> = { pending: '待回拨', claimed: '回拨中', done: '已回拨', unreachable: '无法联系' };
export const DOMAIN_NAMES: Record<string, string> = { economic_regulation: '经济调节', market_supervision: '市场监管', social_management: '社会管理', public_service: '公共服务', ecological_environment: '生态环境保护' };

// Centre and queue names as the service knows them (GET /api/centres); these stand in until loaded
// and for roles that may not read the directory.
const QUEUE_FALLBACK: Record<string, string> = {
  'q-qy': '庆阳市12345热线', 'q-qy-backup': '市热线后备', 'q-xf': '西峰区12345热线', 'q-qc': '庆城县12345热线', 'q-hx': '环县12345热线', 'q-hc': '华池县12345热线',
  'q-hs': '合水县12345热线', 'q-zn': '正宁县12345热线', 'q-nx': '宁县12345热线', 'q-zy': '镇原县12345热线', 'q-expert-12333': '12333专家座席', 'q-expert-12348': '12348专家座席',
};
const CENTRE_FALLBACK: Record<string, string> = { QY: '庆阳市12345热线', XF: '西峰区', QC: '庆城县', HX: '环县', HC: '华池县', HS: '合水县', ZN: '正宁县', NX: '宁县', ZY: '镇原县' };
export const directory = reactive({ queues: { ...QUEUE_FALLBACK } as Record<string, string>, centres: { ...CENTRE_FALLBACK } as Record<string, string> });

export async function loadCentres() {
  try {
    const cs = await get<Array<{ code: string; name: string; queue: string; backupQueue: string | null }>>('/api/centres');
    for (const c of cs) {
      directory.centres[c.code] = c.name;
      directory.queues[c.queue] = c.name;
    }
  } catch {
    /* roles without access keep the built-in names */
  }
}
export const queueName = (q: string | null | undefined) => (q ? directory.queues[q] ?? q : '—');
export const centreName = (c: string | null | undefined) => (c ? directory.centres[c] ?? c : '—');

// The pure formatting (no browser state), importable by the unit tests in node.
export { mmss, remainingText } from './format';

export function localTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false });
}
