// The console's pages: path, title in both languages, whether it is in the navigation, component.
import type { ComponentType } from 'preact';
import { AccountPage, AccountSearch } from './accounts.tsx';
import { CampaignPage, IncidentPage, IncidentsAndCampaigns } from './incidents.tsx';
import { Overview } from './overview.tsx';
import { Access, Apps, Audit, Webhooks } from './platform.tsx';
import { Policy } from './policy.tsx';
import { Queues } from './queues.tsx';

export interface PageDef {
  path: string;
  /** The router pattern when it differs from the navigation path (e.g. with parameters). */
  route?: string;
  nav: boolean;
  title: { en: string; 'zh-CN': string };
  component: ComponentType;
}

export const PAGES: PageDef[] = [
  { path: '/console/', nav: true, title: { en: 'Overview', 'zh-CN': '总览' }, component: Overview },
  {
    path: '/console/accounts',
    nav: true,
    title: { en: 'Accounts', 'zh-CN': '账号' },
    component: AccountSearch,
  },
  {
    path: '/console/accounts/:id',
    nav: false,
    title: { en: 'Account', 'zh-CN': '账号' },
    component: AccountPage,
  },
  {
    path: '/console/incidents',
    nav: true,
    title: { en: 'Incidents & campaigns', 'zh-CN': '事件与攻击活动' },
    component: IncidentsAndCampaigns,
  },
  {
    path: '/console/incidents/:id',
    nav: false,
    title: { en: 'Incident', 'zh-CN': '事件' },
    component: IncidentPage,
  },
  {
    path: '/console/campaigns/:id',
    nav: false,
    title: { en: 'Campaign', 'zh-CN': '攻击活动' },
    component: CampaignPage,
  },
  { path: '/console/queues', nav: true, title: { en: 'Queues', 'zh-CN': '队列' }, component: Queues },
  { path: '/console/policy', nav: true, title: { en: 'Policy', 'zh-CN': '策略' }, component: Policy },
  {
    path: '/console/webhooks',
    nav: true,
    title: { en: 'Webhooks', 'zh-CN': 'Webhook' },
    component: Webhooks,
  },
  { path: '/console/apps', nav: true, title: { en: 'Apps', 'zh-CN': '第三方应用' }, component: Apps },
  {
    path: '/console/access',
    nav: true,
    title: { en: 'Keys & operators', 'zh-CN': '密钥与运营人员' },
    component: Access,
  },
  { path: '/console/audit', nav: true, title: { en: 'Audit log', 'zh-CN': '审计日志' }, component: Audit },
];
