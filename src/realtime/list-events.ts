import type { ItemResponse } from '../items/dto/item.response';
import type { MemberResponse } from '../lists/dto/list.response';
import type { StoreResponse } from '../stores/dto/store.response';
import type { TripResponse } from '../trips/dto/trip.response';

/** `list:updated` carries the fields of the list that changed. */
export interface ListUpdatedPayload {
  id: string;
  name?: string;
  version?: number;
  inviteCode?: string;
  members?: MemberResponse[];
}

/**
 * The single source of the realtime wire format: every durable event type and its payload,
 * which is the same response object the REST API returns for that resource.
 */
export interface ListEventPayloads {
  'item:added': ItemResponse;
  'item:updated': ItemResponse;
  'item:removed': { id: string };
  'list:updated': ListUpdatedPayload;
  'store:updated': StoreResponse;
  /** The trip with its items and the ids of the list items it removed. */
  'trip:completed': TripResponse & { removedItemIds: string[] };
  /** A trip changed after completion (its receipt). */
  'trip:updated': TripResponse;
}

export type ListEventType = keyof ListEventPayloads;

/** One entry of a list's event log, as delivered to sockets: `{type, payload, seq}`. */
export type ListEvent = {
  [T in ListEventType]: { type: T; payload: ListEventPayloads[T]; seq: number };
}[ListEventType];

/** Ephemeral frames: relayed live, never logged, no `seq`. */
export interface EphemeralPayloads {
  'item:checking': { itemId: string; userId: string };
  presence: { users: { id: string; name: string }[]; connections: number };
}

/** PostgreSQL NOTIFY channels: `{l: listId, s: seq}` for events; small ephemeral frames. */
export const EVENTS_CHANNEL = 'cartsync_events';
export const EPHEMERAL_CHANNEL = 'cartsync_ephemeral';
