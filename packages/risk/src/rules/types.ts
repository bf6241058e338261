import type { TripKind } from '@polybot/shared/breaker';
export type RuleVerdict = { trip: false } | { trip: true; kind: TripKind; reason: string };
