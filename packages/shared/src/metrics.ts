import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Every Prometheus series polybot exposes, defined once so names never drift between workers.
 * Each process exposes the ones it moves on its own `/metrics`.
 */
export const registry = new Registry();
// prom-client's own names already start with `process_` / `nodejs_`: the prefix is only `polybot_`.
collectDefaultMetrics({ register: registry, prefix: 'polybot_' });

const latencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export const metrics = {
  jobsProcessed: new Counter({ name: 'polybot_jobs_processed_total', help: 'Jobs completed, per queue', labelNames: ['queue'], registers: [registry] }),
  jobsFailed: new Counter({ name: 'polybot_jobs_failed_total', help: 'Jobs failed, per queue', labelNames: ['queue'], registers: [registry] }),
  queueDepth: new Gauge({ name: 'polybot_queue_depth', help: 'Waiting + delayed jobs, per queue', labelNames: ['queue'], registers: [registry] }),
  stageLatency: new Histogram({
    name: 'polybot_stage_latency_seconds',
    help: 'Time from a job being enqueued to its handler finishing, per stage',
    labelNames: ['stage'],
    buckets: latencyBuckets,
    registers: [registry],
  }),
  tickToOrder: new Histogram({
    name: 'polybot_tick_to_order_seconds',
    help: 'From the market job that priced a signal to the venue acknowledging its order',
    buckets: [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  }),
  signalsAccepted: new Counter({ name: 'polybot_signals_accepted_total', help: 'Signals risk turned into orders', registers: [registry] }),
  signalsRefused: new Counter({
    name: 'polybot_signals_refused_total',
    help: 'Signals refused by risk, per reason',
    labelNames: ['reason'],
    registers: [registry],
  }),
  signalsEmitted: new Counter({ name: 'polybot_signals_emitted_total', help: 'Signals emitted by analysis', labelNames: ['kind'], registers: [registry] }),
  marketsPriced: new Counter({ name: 'polybot_markets_priced_total', help: 'Markets priced by analysis', registers: [registry] }),
  ordersByState: new Gauge({ name: 'polybot_orders', help: 'Orders known to execution, per state', labelNames: ['state'], registers: [registry] }),
  orderTransitions: new Counter({ name: 'polybot_order_transitions_total', help: 'Order state changes', labelNames: ['to'], registers: [registry] }),
  fills: new Counter({ name: 'polybot_fills_total', help: 'Fills received', labelNames: ['status'], registers: [registry] }),
  filledShares: new Counter({ name: 'polybot_filled_shares_total', help: 'Shares filled', registers: [registry] }),
  feesUsd: new Counter({ name: 'polybot_fees_usd_total', help: 'Taker fees paid (pUSD)', registers: [registry] }),
  pnlUsd: new Gauge({ name: 'polybot_realised_pnl_usd', help: 'Realised PnL after fees (pUSD)', registers: [registry] }),
  breakerOpen: new Gauge({ name: 'polybot_breaker_open', help: '1 when the circuit breaker is open', registers: [registry] }),
  httpRequests: new Counter({ name: 'polybot_http_requests_total', help: 'HTTP requests to venues', labelNames: ['host', 'outcome'], registers: [registry] }),
  httpRetries: new Counter({ name: 'polybot_http_retries_total', help: 'HTTP retries', labelNames: ['host', 'reason'], registers: [registry] }),
  http429: new Counter({ name: 'polybot_http_429_total', help: 'HTTP 429 responses', labelNames: ['host'], registers: [registry] }),
  oracleAgeSeconds: new Gauge({ name: 'polybot_oracle_age_seconds', help: 'Age of the latest oracle price', labelNames: ['asset'], registers: [registry] }),
  schemaRejects: new Counter({ name: 'polybot_schema_rejects_total', help: 'Payloads rejected by a schema', labelNames: ['source'], registers: [registry] }),
};
