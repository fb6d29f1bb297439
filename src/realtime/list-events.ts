/**
 * The realtime wire format: every durable event type and its payload, which is the same
 * response object the REST API returns for that resource. Each feature adds its own
 * entries beside its response DTO (`declare module '…/realtime/list-events'`), so the map
 * is one interface while realtime itself imports no feature.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface ListEventPayloads {}

export type ListEventType = keyof ListEventPayloads;

/** Ephemeral frames: relayed live, never logged, no `seq`. */
export interface EphemeralPayloads {
  'item:checking': { itemId: string; userId: string };
  presence: { users: { id: string; name: string }[]; connections: number };
}
