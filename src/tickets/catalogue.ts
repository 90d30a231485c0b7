import { Knex } from 'knex';
import unitsData from './data/units.json';
import domainsData from './data/domains.json';
import { Domain } from './model';

export interface Unit {
  code: string;
  name: string;
  kind: string;
  parentCode: string | null;
  countyCode: string | null;
  active: boolean;
}

export interface DomainEntry {
  code: Domain;
  label: string;
  items: Array<{ code: string; label: string }>;
}

/** The finer classification catalogue of 第十六条/第二十条(一), as shipped data. */
export const DOMAIN_CATALOGUE = domainsData.domains as DomainEntry[];

export function subdomainKnown(domain: string, subdomain: string): boolean {
  return !!DOMAIN_CATALOGUE.find((d) => d.code === domain)?.items.some((i) => i.code === subdomain);
}

/** Seed the shipped units without overwriting what administrators changed since. */
export async function seedUnits(knex: Knex): Promise<number> {
  const rows = unitsData.units.map((u: { code: string; name: string; kind: string; parent?: string; county?: string }) => ({
    code: u.code, name: u.name, kind: u.kind, parent_code: u.parent ?? null, county_code: u.county ?? null, active: true,
  }));
  const r = await knex('units').insert(rows).onConflict('code').ignore().returning('code');
  return r.length;
}

export async function listUnits(knex: Knex, opts: { kind?: string; county?: string } = {}): Promise<Unit[]> {
  const q = knex('units').orderBy('code');
  if (opts.kind) q.where('kind', opts.kind);
  if (opts.county) q.where('county_code', opts.county);
  return (await q).map((r: Record<string, unknown>) => ({
    code: r.code as string, name: r.name as string, kind: r.kind as string, parentCode: r.parent_code as string | null,
    countyCode: r.county_code as string | null, active: r.active as boolean,
  }));
}

export async function unknownUnits(knex: Knex | Knex.Transaction, codes: string[]): Promise<string[]> {
  if (codes.length === 0) return [];
  const found = new Set((await knex('units').whereIn('code', codes).where('active', true).select('code')).map((r: { code: string }) => r.code));
  return codes.filter((c) => !found.has(c));
}
