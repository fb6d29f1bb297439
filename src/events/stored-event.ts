/** One entry of a list's log as stored: the realtime layer gives `type` and `payload` their wire types. */
export interface StoredEvent {
  type: string;
  payload: unknown;
  seq: number;
  /** The session that made the change (never sent to clients). */
  actorSession: string | null;
}

/** Who made a change: the user and the session (token) they made it from. */
export interface EventActor {
  id: string;
  sessionId: string;
}

/** PostgreSQL NOTIFY channels: `{l: listId, s: seq}` for events; small ephemeral frames. */
export const EVENTS_CHANNEL = 'cartsync_events';
export const EPHEMERAL_CHANNEL = 'cartsync_ephemeral';
