import { AuthService } from '../auth/service';
import { Role } from '../auth/roles';
import { Logger } from '../logging/logger';

/** Demo accounts, created only in demo mode on an empty user table. Never in production (config refuses). */
export const DEMO_USERS: Array<{ username: string; displayName: string; roles: Role[]; centre?: string; unitCode?: string; extension?: string }> = [
  { username: 'admin', displayName: '系统管理员', roles: ['admin'] },
  { username: 'supervisor', displayName: '值班长 王敏', roles: ['supervisor'], centre: 'QY' },
  { username: 'op1001', displayName: '话务员 李娜', roles: ['operator'], centre: 'QY', extension: 'PJSIP/1001' },
  { username: 'op1002', displayName: '话务员 赵强', roles: ['operator'], centre: 'QY', extension: 'PJSIP/1002' },
  { username: 'expert12348', displayName: '12348 法律专家座席', roles: ['expert'], centre: 'QY', extension: 'PJSIP/12348' },
  { username: 'unit-rsj', displayName: '市人社局 办理员', roles: ['unit_handler'], unitCode: 'QY-RSJ' },
  { username: 'auditor', displayName: '审计员', roles: ['auditor'] },
];
export const DEMO_PASSWORD = 'demo12345hotline';

/** `centre`: this deployment's CENTRE_CODE; the demo's hotline staff belong to it (a county's demo numbers tickets HX…). */
export async function ensureDemoUsers(auth: AuthService, log: Logger, centre = 'QY'): Promise<boolean> {
  if ((await auth.userCount()) > 0) return false;
  for (const u of DEMO_USERS) {
    await auth.createUser({ ...u, centre: u.centre ? centre : undefined, password: DEMO_PASSWORD }, { username: 'system:demo' });
  }
  log.warn('demo mode: created demo accounts with the published demo password (never use demo mode in production)');
  return true;
}
