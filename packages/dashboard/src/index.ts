export { createDashboardServer, basicAuth, type DashboardOptions } from './server.js';
export { readStatus, type StatusData } from './statusData.js';
export { dashboardCredentials, CREDENTIALS_FILE, type Credentials } from './credentials.js';
export {
  tradesOf,
  dailyOf,
  equityOf,
  settlementsOf,
  toCsv,
  type TradeRow,
  type DailyRow,
  type SettlementRow,
  type HistoryData,
  type TradeFilter,
} from './history.js';
export { readTradeHistory } from './historySource.js';
