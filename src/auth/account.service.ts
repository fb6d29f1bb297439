import { Transactional } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { ListRole } from '../access/list-role';
import { Clock } from '../common/clock/clock';
import { BoundedConcurrency } from '../common/concurrency/bounded-concurrency';
import { ClientInfo } from '../common/decorators/client-info.decorator';
import { AuthUser } from '../common/decorators/current-user.decorator';
import { ApiError } from '../common/http/error-body';
import { Subjects, Throttles } from '../common/rate-limit/throttles';
import { ListsRepository } from '../lists/lists.repository';
import { ListsService } from '../lists/lists.service';
import { SessionLiveness } from '../sessions/session-liveness';
import { SessionsRepository } from '../sessions/sessions.repository';
import { StoresService } from '../stores/stores.service';
import { SuggestionsService } from '../suggestions/suggestions.service';
import { TripsService } from '../trips/trips.service';
import { UsersRepository } from '../users/users.repository';
import {
  AccountExport,
  accountExportJson,
  exportedListJson,
  exportFileName,
  toExportedProfile,
} from './dto/account-export.response';
import { DeleteAccountDto } from './dto/auth.dto';
import { toSessionResponse } from './dto/auth.response';
import { PasswordHasher } from './password-hasher';

/** Trips read (and written out) per page of a list's history in the export. */
const TRIP_PAGE = 50;
/**
 * Exports prepared at once by an instance, and waiting: each holds a pooled connection (its
 * snapshot) for as long as it reads, and its text in memory until sent. Beyond, 503 at once.
 */
const EXPORTS_AT_ONCE = 2;
const EXPORTS_WAITING = 8;
export const EXPORTS_BUSY = 'Too many exports are being prepared; please try again in a moment.';
const EXPORTS_RETRY_AFTER_SEC = 5;

const AUTHENTICATION_REQUIRED = 'Authentication required.';

/** The user's data as a whole: the export (`GET /auth/me/export`) and the account's deletion (`DELETE /auth/me`). */
@Injectable()
export class AccountService {
  private readonly exports = new BoundedConcurrency(EXPORTS_AT_ONCE, EXPORTS_WAITING, () =>
    ApiError.retryLater(503, EXPORTS_BUSY, EXPORTS_RETRY_AFTER_SEC),
  );

  constructor(
    private readonly users: UsersRepository,
    private readonly sessions: SessionsRepository,
    private readonly liveness: SessionLiveness,
    private readonly lists: ListsRepository,
    private readonly listsService: ListsService,
    private readonly stores: StoresService,
    private readonly trips: TripsService,
    private readonly suggestions: SuggestionsService,
    private readonly hasher: PasswordHasher,
    private readonly throttles: Throttles,
    private readonly clock: Clock,
  ) {}

  /**
   * Everything the user can see and owns, read in one REPEATABLE READ snapshot (the lists,
   * their trips and the profile agree with each other whatever commits meanwhile). The work is
   * cut in bounded pieces with a turn of the event loop between them: a list at a time, its
   * trip history a page at a time; members, items and trips come as PostgreSQL wrote their JSON.
   * A few exports at a time per instance (EXPORTS_AT_ONCE), a few more waiting, then 503.
   */
  async export(user: AuthUser): Promise<AccountExport> {
    return this.exports.run(async () => {
      const now = this.clock.now();
      return { fileName: exportFileName(now), json: await this.readExport(user, now) };
    });
  }

  /**
   * Re-authenticated with the password (403 when wrong: the token is fine, the app must not sign
   * out), counted like a sign-in against the account and the address before the hash is checked,
   * so a stolen token cannot guess the password here without limit. Then, in one unit of work,
   * the account and everything that is only its own goes (see `remove`); the sessions this
   * instance has cached as live are forgotten once that committed.
   */
  async delete(user: AuthUser, dto: DeleteAccountDto, client: ClientInfo): Promise<void> {
    const found = await this.users.findById(user.id);
    if (!found) throw new UnauthorizedException(AUTHENTICATION_REQUIRED);
    const attempt: Subjects = { loginPerAccount: found.email, loginPerIp: client.ip };
    await this.throttles.take(attempt);
    let valid: boolean;
    try {
      valid = await this.hasher.verify(found.passwordHash, dto.password);
    } catch (error) {
      // The password was never tried (hasher full): the attempt is given back.
      await this.throttles.refund(attempt).catch(() => undefined);
      throw error;
    }
    if (!valid) throw new ForbiddenException('The password is incorrect.');
    await this.throttles.refund(attempt);
    this.liveness.forget(await this.remove(user));
  }

  /**
   * The user's row is locked first (a join or sign-in racing the deletion waits, then finds no
   * account). The user leaves every list as `POST /lists/:id/leave` would (`ListsService.leaveAll`:
   * lists they were alone in are deleted with their receipts, shared lists they owned pass to the
   * longest-standing other member, the members' sockets told), then their sessions and the account
   * go; the foreign keys take the rest (see `UsersRepository.delete`). Returns the ended sessions.
   */
  @Transactional()
  private async remove(user: AuthUser): Promise<string[]> {
    if (!(await this.users.lockForDeletion(user.id))) throw new UnauthorizedException(AUTHENTICATION_REQUIRED);
    await this.listsService.leaveAll(user);
    const sessions = await this.sessions.deleteAll(user.id);
    await this.users.delete(user.id);
    return sessions;
  }

  @Transactional<TransactionalAdapterTypeOrm>({ isolationLevel: 'REPEATABLE READ' })
  private async readExport(user: AuthUser, now: Date): Promise<string> {
    const found = await this.users.findById(user.id);
    if (!found) throw new UnauthorizedException(AUTHENTICATION_REQUIRED);
    const sessions = await this.sessions.listLive(user.id, now);
    const lists: string[] = [];
    for (const listId of await this.lists.listIdsOf(user.id)) {
      await nextTurn();
      lists.push(await this.exportList(user, listId));
    }
    return accountExportJson(
      {
        exportedAt: now.toISOString(),
        profile: toExportedProfile(found),
        sessions: sessions.map((session) => toSessionResponse(session, user.sessionId)),
      },
      lists,
    );
  }

  /** One list, read in the export's snapshot (the user is a member of it there). */
  private async exportList(user: AuthUser, listId: string): Promise<string> {
    const view = await this.lists.viewFor(listId, user.id);
    if (!view?.role) throw new Error(`list ${listId} vanished from the export's snapshot`);
    const stores = await this.stores.list(user, listId);
    const suggestions = await this.suggestions.forList(user, listId);
    const tripPages: string[] = [];
    for (let before: string | null = null; ;) {
      const page = await this.trips.historyPageJson(user, listId, TRIP_PAGE, before ?? undefined);
      tripPages.push(page.json);
      before = page.last;
      if (!before) break;
      await nextTurn();
    }
    return exportedListJson({ view: view as typeof view & { role: ListRole }, stores, tripPages, suggestions });
  }
}
