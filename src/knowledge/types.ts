/** A document an answer rests on (依据): name, number (文号) and article (条款). */
export interface Basis {
  document: string;
  number?: string | null;
  article?: string | null;
}

export const ENTRY_STATES = ['draft', 'submitted', 'approved', 'published', 'withdrawn', 'expired'] as const;
export type EntryState = (typeof ENTRY_STATES)[number];

export const REGION_LEVELS = ['city', 'county', 'township'] as const;
export type RegionLevel = (typeof REGION_LEVELS)[number];

export const VISIBILITIES = ['public', 'internal'] as const;
export type Visibility = (typeof VISIBILITIES)[number];

/** The editable content of an entry: what a unit reports (第二十四条(三)). */
export interface EntryContent {
  question: string;
  answer: string;
  basis: Basis[];
  unitCode: string;
  unitName: string;
  regionLevel: RegionLevel;
  regionName: string;
  categoryPath: string[];
  keywords: string[];
  effectiveFrom: Date;
  removalAt: Date | null;
  visibility: Visibility;
}

export interface Entry extends EntryContent {
  id: number;
  state: EntryState;
  version: number;
  supersedesId: number | null;
  reviewNote: string | null;
  source: 'manual' | 'import' | 'seed';
  createdBy: number | null;
  submittedBy: number | null;
  createdAt: Date;
  updatedAt: Date;
  publishedAt: Date | null;
}

export interface EntryVersion {
  id: number;
  entryId: number;
  version: number;
  action: string;
  fromState: EntryState | null;
  toState: EntryState;
  changedFields: string[];
  reason: string | null;
  snapshot: Record<string, unknown>;
  actorUserId: number | null;
  actor: string;
  actorUnit: string | null;
  at: Date;
}

/** Who acts: a logged-in user or the system (seed loader, expiry job). */
export interface Actor {
  userId: number | null;
  username: string;
  displayName?: string;
  roles: string[];
  unitCode: string | null;
  requestId?: string | null;
}

export const SYSTEM_ACTOR = (component: string): Actor => ({ userId: null, username: `system:${component}`, roles: ['admin'], unitCode: null });

/** Text representation of a basis, e.g. 《庆阳市12345政务服务便民热线管理办法》（庆政办发〔2022〕157号）第二十一条. */
export function basisText(basis: Basis[]): string {
  return basis
    .map((b) => `《${b.document.replace(/^《|》$/g, '')}》${b.number ? `（${b.number}）` : ''}${b.article ?? ''}`)
    .join('；');
}

/** Is the entry inside its validity window at `now`? Removal is exclusive: gone at removal_at. */
export function isInWindow(e: { effectiveFrom: Date; removalAt: Date | null }, now: number): boolean {
  return e.effectiveFrom.getTime() <= now && (e.removalAt === null || now < e.removalAt.getTime());
}
