import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';

/** A connection row counts (presence, socket limits) while refreshed within this many heartbeats. */
export const LIVE_WITHIN_HEARTBEATS = 3;

/** This process among the instances sharing the database: the owner of its `ws_connections` rows. */
@Injectable()
export class RealtimeInstance {
  readonly id = randomUUID();
}
