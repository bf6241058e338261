/**
 * Who may talk to the dashboard, checked before anything else:
 * - the Host header must name an allowed host (a DNS-rebinding page reaches us under its own name);
 * - every mutating request must carry `X-Polybot-Request: 1` (a cross-site form or a simple fetch
 *   cannot set it without a CORS preflight, which we never grant) and an Origin equal to our own
 *   origin (scheme, host and port of the Host header).
 * Pure request checks: no Redis, no state.
 */
import type { NextFunction, Request, Response } from 'express';

export const MUTATION_HEADER = 'x-polybot-request';

/** `host[:port]` → lower-case host name without the port (IPv6 in brackets kept). */
export function hostName(hostHeader: string): string {
  const h = hostHeader.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const i = h.lastIndexOf(':');
  return i >= 0 ? h.slice(0, i) : h;
}

export function hostGuard(allowedHosts: readonly string[]) {
  const allowed = new Set(allowedHosts.map((h) => h.toLowerCase()));
  return (req: Request, res: Response, next: NextFunction) => {
    const host = req.headers.host;
    if (!host || !allowed.has(hostName(host))) {
      res.status(421).type('text').send(`host not allowed: add it to POLYBOT_DASHBOARD_ALLOWED_HOSTS if this is really the dashboard's name`);
      return;
    }
    next();
  };
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Mutations: same origin as the Host we answer on, plus the custom header on our own API. */
export function mutationGuard(opts: { requireHeader: (path: string) => boolean }) {
  return (req: Request, res: Response, next: NextFunction) => {
    if (SAFE.has(req.method)) return next();
    const host = req.headers.host ?? '';
    const origin = req.headers.origin;
    let sameOrigin = false;
    if (origin) {
      try {
        const u = new URL(origin);
        sameOrigin = (u.protocol === 'http:' || u.protocol === 'https:') && u.host.toLowerCase() === host.toLowerCase();
      } catch {
        sameOrigin = false;
      }
    }
    if (!sameOrigin) {
      res.status(403).type('text').send('refused: a change needs an Origin header equal to this dashboard');
      return;
    }
    if (opts.requireHeader(req.path) && req.headers[MUTATION_HEADER] !== '1') {
      res.status(403).type('text').send(`refused: a change needs the header ${MUTATION_HEADER}: 1`);
      return;
    }
    next();
  };
}
