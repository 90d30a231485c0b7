import { forbidden } from '../http/errors';
import { Actor, Entry } from './types';

/** Hotline reviewers: the centre maintains and vets the knowledge base (第七条, 第二十四条(四)). */
export const isReviewer = (a: Actor) => a.roles.includes('supervisor') || a.roles.includes('admin');

/** A unit handler acts only for their own unit (第十条(三): 职能范围内的知识条目); reviewers for any. */
export function canActForUnit(a: Actor, unitCode: string): boolean {
  if (isReviewer(a)) return true;
  return a.roles.includes('unit_handler') && !!a.unitCode && a.unitCode === unitCode;
}

export function assertUnit(a: Actor, unitCode: string): void {
  if (!canActForUnit(a, unitCode)) throw forbidden({ reason: 'unit_mismatch', unitCode, yourUnit: a.unitCode });
}

export function assertReviewer(a: Actor): void {
  if (!isReviewer(a)) throw forbidden({ reason: 'reviewer_only' });
}

/** Unit handlers see their own unit's entries in any state and everyone's published ones. */
export function canSee(a: Actor, e: Entry): boolean {
  if (!a.roles.every((r) => r === 'unit_handler')) return true;
  return e.state === 'published' || a.unitCode === e.unitCode;
}
