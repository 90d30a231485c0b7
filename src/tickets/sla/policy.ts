import { Category, Channel } from '../model';
import { Limit } from './clock';

/**
 * The time limits of 第二十一条 and 第二十二条(三) as data. Each names the article it comes from.
 */
export const LIMITS = {
  /** 第二十一条(一): 受理后 2 个小时内形成文字工单并进行转派 (7×24, wall clock). */
  dispatch: { amount: 2, unit: 'h' } as Limit,
  /** 第二十一条(一): 工作日 3 个小时内签收; otherwise deemed signed (视为受理). */
  sign: { amount: 3, unit: 'wh' } as Limit,
  /** 第二十一条(一): 紧急类工单 2 小时内向12345热线书面或电话反馈. */
  emergencyFeedback: { amount: 2, unit: 'h' } as Limit,
  /** 第二十一条(二): 1 个工作日内申请退单. */
  returnNormal: { amount: 1, unit: 'wd' } as Limit,
  /** 第二十一条(二): 紧急类工单 30 分钟内申请退单. */
  returnEmergency: { amount: 30, unit: 'm' } as Limit,
  /** 第二十二条(三): 诉求人 24 小时内未回复的, 默认为满意. */
  callback: { amount: 24, unit: 'h' } as Limit,
  /** 第二十一条(一): 咨询类 2 个工作日. */
  consultation: { amount: 2, unit: 'wd' } as Limit,
  /** 第二十一条(一): 非咨询类 5 个工作日. */
  nonConsultation: { amount: 5, unit: 'wd' } as Limit,
  /** 第二十一条(一): 甘肃省12345热线派发的工单 4 个工作日. */
  provincial: { amount: 4, unit: 'wd' } as Limit,
  /** 第二十一条(一): "紧急"类工单 2 个工作日内办结并答复. */
  emergency: { amount: 2, unit: 'wd' } as Limit,
} as const;

/** The handling limit of a ticket; a limit fixed by law or regulation (依规定时限) may be given as an override. */
export function handleLimit(t: { category: Category; channel: Channel; emergency: boolean }): Limit {
  if (t.emergency) return LIMITS.emergency;
  if (t.channel === 'provincial_12345') return LIMITS.provincial;
  if (t.category === 'consultation') return LIMITS.consultation;
  return LIMITS.nonConsultation;
}

export function returnLimit(emergency: boolean): Limit {
  return emergency ? LIMITS.returnEmergency : LIMITS.returnNormal;
}

/** How long before a deadline its reminder is raised: a quarter of the span, at least 10 minutes. */
export function reminderLead(startedAt: Date, dueAt: Date): number {
  return Math.max(10 * 60_000, Math.floor((dueAt.getTime() - startedAt.getTime()) / 4));
}
