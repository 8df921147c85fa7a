import type { Asset } from '../page-files.js';
import type { AdminPort, HealthPort, OrderPort, PurchasePort, QueuePort, SalePort, TicketPort } from '../ports.js';
import type { Route } from '../router.js';
import { adminRoutes } from './admin.js';
import { buyRoutes } from './buy.js';
import { buyerPageRoutes } from './buyer-page.js';
import { checkInRoutes } from './check-in.js';
import { dashboardRoutes } from './dashboard.js';
import { healthRoutes } from './health.js';
import { openApiRoutes } from './openapi.js';
import { orderRoutes } from './orders.js';
import { queueRoutes } from './queue.js';
import { saleRoutes } from './sales.js';
import { ticketRoutes } from './tickets.js';

/** What every group of routes is built from: its port, or the files it serves. */
export interface RouteParts {
  purchase: PurchasePort;
  orders: OrderPort;
  tickets: TicketPort;
  sales: SalePort;
  admin: AdminPort;
  health: HealthPort;
  queue: QueuePort;
  dashboard: ReadonlyMap<string, Asset>;
  buyerPage: ReadonlyMap<string, Asset>;
  /** The OpenAPI document's text (loadOpenApi). */
  openapi: string;
}

/**
 * Every HTTP route a node's thread mounts, in one list (the dashboard's WebSocket, /ws/sales, is mounted beside them:
 * src/http/dashboard/socket.ts). The node's thread and test/unit/openapi-routes.test.ts both build it here, so a route
 * added to a node is a route the test holds the OpenAPI document to.
 */
export function allRoutes(parts: RouteParts): Route[] {
  return [
    ...buyRoutes(parts.purchase),
    ...orderRoutes(parts.orders),
    ...ticketRoutes(parts.tickets),
    ...checkInRoutes(parts.tickets),
    ...saleRoutes(parts.sales),
    ...adminRoutes(parts.admin),
    ...healthRoutes(parts.health),
    ...dashboardRoutes(parts.dashboard),
    ...queueRoutes(parts.queue),
    ...buyerPageRoutes(parts.buyerPage),
    ...openApiRoutes(parts.openapi),
  ];
}
