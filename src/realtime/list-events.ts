import type { ItemCheckingDto } from './dto/item-checking.dto';

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

/** Frames the server answers with itself: not list events, no `seq`. */
export interface ControlPayloads {
  /** The `since` asked for cannot be served: reload the list and continue from its `seq`. */
  resync: { seq: number };
  /** The reply to `ping`. */
  pong: undefined;
  /** The client's frame was not accepted (it went nowhere). */
  error: { message: string };
}

/** Client → server frames: what the gateway subscribes to (`@SubscribeMessage(clientFrame(…))`), with their payloads. */
export interface ClientFramePayloads {
  ping: undefined;
  'item:checking': ItemCheckingDto;
}

export type ClientFrameType = keyof ClientFramePayloads;

/** A client frame's type, checked against {@link ClientFramePayloads}: a handler exists only for a frame of the map. */
export function clientFrame<T extends ClientFrameType>(type: T): T {
  return type;
}
