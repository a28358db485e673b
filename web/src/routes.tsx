/**
 * The route table: one line per page (web/src/pages/<name>.tsx). `nav` pages appear in the navigation;
 * detail pages (`/services/:name`) get `nav: false` and are reached by links. A page loads with
 * useLiveQuery/useLiveResource (live.tsx) and a relevance filter (live/relevance.ts), shows write
 * controls only when useSession().canDeploy (or canAdmin), and keeps its domain logic in a pure
 * `pages/<name>-*.ts` module with a `.test.ts` beside it (compiled and run by the server's unit tests).
 */
import type { ComponentType } from 'react';
import { DashboardPage } from './pages/dashboard';
import { ServicesPage } from './pages/services';
import { HostsPage } from './pages/hosts';
import { HostPage } from './pages/host';
import { UnitsPage } from './pages/units';
import { UnitPage } from './pages/unit';
import { MonitoringPage } from './pages/monitoring';
import { CreateServicePage } from './pages/create-service';
import { ServicePage } from './pages/service';
import { ServiceHistoryPage } from './pages/service-history';

export interface RouteEntry {
  path: string;
  title: string;
  page: ComponentType;
  nav: boolean;
}

export const routes: RouteEntry[] = [
  { path: '/', title: 'Dashboard', page: DashboardPage, nav: true },
  { path: '/services', title: 'Services', page: ServicesPage, nav: true },
  { path: '/services/new', title: 'Create service', page: CreateServicePage, nav: false },
  { path: '/services/:name', title: 'Service', page: ServicePage, nav: false },
  { path: '/services/:name/history', title: 'History', page: ServiceHistoryPage, nav: false },
  { path: '/hosts', title: 'Hosts', page: HostsPage, nav: true },
  { path: '/hosts/:id', title: 'Host', page: HostPage, nav: false },
  { path: '/units', title: 'Units', page: UnitsPage, nav: true },
  { path: '/units/:id', title: 'Unit', page: UnitPage, nav: false },
  { path: '/monitoring', title: 'Monitoring', page: MonitoringPage, nav: true },
];
