/** The ticket timeline's events in the words of the centre. */
export const EVENT_LABELS: Record<string, string> = {
  create: '登记', accept: '受理', not_accept: '不予受理', close_immediately: '即时办结', dispatch: '转办', sign: '签收', deem_signed: '视为签收',
  feedback: '紧急件反馈', progress: '办理进展', co_opinion: '协办意见', request_extension: '申请延期', approve_extension: '批准延期', reject_extension: '驳回延期',
  request_return: '申请退单', approve_return: '同意退单', reject_return: '驳回退单', reply: '答复', visit: '回访', sms_rating: '短信评价', ivr_rating: '语音评价',
  visit_timeout: '回访超时', withdraw: '撤单', urge: '督办', escalate: '催办升级', merge_into: '并案', merged_from: '并入工单', link_call: '关联来电',
  link_recording: '关联录音', attachment: '上传附件', screening: '甄别',
};
