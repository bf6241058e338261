export { createDashboardServer, basicAuth, type DashboardOptions } from './server.js';
export { readStatus, type StatusData } from './statusData.js';
