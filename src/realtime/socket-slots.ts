import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { randomUUID } from 'node:crypto';
import { quotaConfig } from '../config/quota.config';
import { realtimeConfig } from '../config/realtime.config';
import { QuotaExceeded } from '../quotas/quota-exceeded';
import { LIVE_WITHIN_HEARTBEATS, RealtimeInstance } from './realtime-instance';
import { RealtimeRepository } from './realtime.repository';

/**
 * Open sockets per user (WS_MAX_SOCKETS_PER_USER) and per list (WS_MAX_SOCKETS_PER_LIST),
 * counted on every instance: the handshake reserves the connection's row in `ws_connections`
 * before the 101, or refuses with 409. Presence and `item:checking` fan-out stay bounded
 * by the list's limit. The row is the connection's from then on: its close deletes it, and a
 * handshake admitted but never upgraded releases it.
 */
@Injectable()
export class SocketSlots {
  private readonly logger = new Logger(SocketSlots.name);

  constructor(
    private readonly repository: RealtimeRepository,
    private readonly instance: RealtimeInstance,
    @Inject(quotaConfig.KEY) private readonly quotas: ConfigType<typeof quotaConfig>,
    @Inject(realtimeConfig.KEY) private readonly config: ConfigType<typeof realtimeConfig>,
  ) {}

  /** The new connection's id, its row written; 409 when the user or the list has no slot left. */
  async reserve(userId: string, listId: string): Promise<string> {
    const id = randomUUID();
    const { socketsPerUser, socketsPerList } = this.quotas;
    const outcome = await this.repository.reserveConnection(
      { id, instanceId: this.instance.id, listId, userId },
      { maxPerUser: socketsPerUser, maxPerList: socketsPerList },
      this.config.heartbeatMs * LIVE_WITHIN_HEARTBEATS,
    );
    switch (outcome) {
      case 'reserved':
        return id;
      case 'user-full':
        throw new QuotaExceeded(
          'socketsPerUser',
          socketsPerUser,
          `You already have ${socketsPerUser} live connections open, the most one account can have; close one and try again.`,
        );
      case 'list-full':
        throw new QuotaExceeded(
          'socketsPerList',
          socketsPerList,
          `This list already has ${socketsPerList} live connections open, the most a list can have; close one and try again.`,
        );
    }
  }

  /** A reserved connection that never became a socket (the upgrade failed after the handshake). */
  release(id: string): void {
    this.repository.unregisterConnection(id).catch((error: unknown) => {
      // Not refreshed by any heartbeat, the row goes stale and stops counting on its own.
      this.logger.warn({ err: error }, 'releasing a socket slot failed');
    });
  }
}
