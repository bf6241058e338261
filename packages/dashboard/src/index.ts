export { createDashboardServer, basicAuth, type DashboardOptions } from './server.js';
export { readStatus, type StatusData } from './statusData.js';
export { dashboardCredentials, CREDENTIALS_FILE, type Credentials } from './credentials.js';
