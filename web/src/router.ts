import { createRouter, createWebHistory, RouteRecordRaw } from 'vue-router';
import { session, homeOf, hasRole } from './session';
import type { Role } from './api/types';

const routes: RouteRecordRaw[] = [
  { path: '/', redirect: () => homeOf(session.user) },
  { path: '/login', component: () => import('./views/LoginView.vue'), meta: { public: true, title: '登录' } },
  { path: '/operator', component: () => import('./views/operator/OperatorConsole.vue'), meta: { roles: ['operator', 'expert'], title: '坐席工作台' } },
  { path: '/unit', component: () => import('./views/unit/UnitDesk.vue'), meta: { roles: ['unit_handler'], title: '承办单位工作台' } },
  { path: '/supervisor', component: () => import('./views/supervisor/SupervisorConsole.vue'), meta: { roles: ['supervisor', 'admin'], title: '值班长工作台' } },
  { path: '/tickets', component: () => import('./views/tickets/TicketSearch.vue'), meta: { roles: ['operator', 'expert', 'supervisor', 'admin', 'unit_handler', 'auditor'], title: '工单查询' } },
  { path: '/tickets/:no', component: () => import('./views/tickets/TicketDetailView.vue'), meta: { roles: ['operator', 'expert', 'supervisor', 'admin', 'unit_handler', 'auditor'], title: '工单详情' } },
  { path: '/knowledge', component: () => import('./views/knowledge/KnowledgeBase.vue'), meta: { roles: ['operator', 'expert', 'supervisor', 'admin', 'unit_handler'], title: '知识库' } },
  // 第二十六条 reports; 第二十八、二十九条 assessment: the routes' own roles (auditors read).
  { path: '/reports', component: () => import('./views/reports/ReportsView.vue'), meta: { roles: ['supervisor', 'admin', 'auditor'], title: '统计报表' } },
  { path: '/assessment', component: () => import('./views/assessment/AssessmentView.vue'), meta: { roles: ['supervisor', 'admin', 'auditor'], title: '考核评分' } },
  { path: '/admin', component: () => import('./views/admin/AdminView.vue'), meta: { roles: ['admin'], title: '系统管理' } },
  { path: '/audit', component: () => import('./views/audit/AuditView.vue'), meta: { roles: ['auditor', 'admin'], title: '审计日志' } },
  // Old addresses of the first pages.
  { path: '/wallboard.html', redirect: '/supervisor' },
  { path: '/welcome.html', redirect: '/' },
  { path: '/index.html', redirect: '/' },
  { path: '/:rest(.*)*', component: () => import('./views/NotFound.vue'), meta: { public: true, title: '页面不存在' } },
];

export const router = createRouter({ history: createWebHistory(), routes });

router.beforeEach((to) => {
  if (to.meta.public) return true;
  if (!session.token) return { path: '/login', query: to.fullPath !== '/' ? { next: to.fullPath } : {} };
  const roles = to.meta.roles as Role[] | undefined;
  if (roles && !hasRole(...roles)) return homeOf(session.user);
  return true;
});
router.afterEach((to) => {
  document.title = `${(to.meta.title as string) ?? ''} - 12345 政务服务便民热线`;
});
