/** The route table: one line per page (web/src/pages/<name>.tsx). `nav` pages appear in the navigation. */
import type { ComponentType } from 'react';
import { DashboardPage } from './pages/dashboard';
import { ServicesPage } from './pages/services';

export interface RouteEntry {
  path: string;
  title: string;
  page: ComponentType;
  nav: boolean;
}

export const routes: RouteEntry[] = [
  { path: '/', title: 'Dashboard', page: DashboardPage, nav: true },
  { path: '/services', title: 'Services', page: ServicesPage, nav: true },
];
