import type { TripKind } from '@polybot/shared';
export type RuleVerdict = { trip: false } | { trip: true; kind: TripKind; reason: string };
