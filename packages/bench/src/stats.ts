export interface Percentiles {
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  samples: number;
}

export function percentiles(xs: readonly number[]): Percentiles {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => (s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))]! : NaN);
  const r = (v: number) => Math.round(v * 100) / 100;
  return { p50Ms: r(at(0.5)), p90Ms: r(at(0.9)), p99Ms: r(at(0.99)), samples: s.length };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
