import { Body, Controller, Delete, Get, Header, HttpCode, Param, StreamableFile } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import { ClientInfo as Client, ClientInfo } from '../common/decorators/client-info.decorator';
import { AuthUser, CurrentUser } from '../common/decorators/current-user.decorator';
import { Public } from '../common/decorators/public.decorator';
import { ApiAuth, ApiErrors } from '../common/http/api-errors.decorator';
import { UuidParam } from '../common/http/uuid-param.pipe';
import { IdempotentOutsideTransaction } from '../common/idempotency/idempotent-outside-transaction.decorator';
import { UserResponse } from '../users/dto/user.response';
import { AccountService } from './account.service';
import { AuthService } from './auth.service';
import { AccountExportResponse } from './dto/account-export.response';
import {
  DeleteAccountDto,
  LoginDto,
  LogoutDto,
  PasswordResetConfirmDto,
  PasswordResetRequestDto,
  RefreshDto,
  RegisterDto,
} from './dto/auth.dto';
import { AuthResponse, MessageResponse, SessionResponse } from './dto/auth.response';
import { PasswordResetService } from './password-reset.service';
import { IdempotentPost } from '../common/idempotency/idempotent-post.decorator';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly resets: PasswordResetService,
    private readonly account: AccountService,
  ) {}

  /** Creates the account and its first list, "<name>'s List". */
  @Public()
  @IdempotentPost('register')
  @ApiCreatedResponse({ type: AuthResponse })
  @ApiErrors(400, 409, 429, 503)
  register(@Body() dto: RegisterDto, @Client() client: ClientInfo): Promise<AuthResponse> {
    return this.auth.register(dto, client);
  }

  @Public()
  @IdempotentPost('login')
  @HttpCode(200)
  @ApiOkResponse({ type: AuthResponse })
  @ApiErrors(400, 401, 429, 503)
  login(@Body() dto: LoginDto, @Client() client: ClientInfo): Promise<AuthResponse> {
    return this.auth.login(dto, client);
  }

  /** Exchanges a refresh token for a new token pair; a reused refresh token ends its session. */
  @Public()
  @IdempotentPost('refresh')
  @HttpCode(200)
  @ApiOkResponse({ type: AuthResponse })
  @ApiErrors(400, 401)
  refresh(@Body() dto: RefreshDto): Promise<AuthResponse> {
    return this.auth.refresh(dto);
  }

  /**
   * Ends this session, or with `everywhere: true` every session of the user. Outside the
   * Idempotency-Key transaction: this instance forgets the cached "live" answers once the
   * revocation is committed, not before (ending a session twice changes nothing).
   */
  @IdempotentOutsideTransaction()
  @IdempotentPost('logout')
  @HttpCode(204)
  @ApiAuth()
  @ApiNoContentResponse()
  @ApiErrors(400)
  logout(@CurrentUser() user: AuthUser, @Body() dto: LogoutDto): Promise<void> {
    return this.auth.logout(user, dto);
  }

  @Get('me')
  @ApiAuth()
  @ApiOkResponse({ type: UserResponse })
  me(@CurrentUser() user: AuthUser): Promise<UserResponse> {
    return this.auth.me(user);
  }

  /**
   * Everything the user can see and owns, as a JSON download (`cartsync-export-<date>.json`):
   * the profile, the live sessions, and every list they are a member of with its members, items,
   * stores (learned orders), trips with their bought items and receipt links, and suggestions.
   */
  @Get('me/export')
  @Header('Cache-Control', 'no-store')
  @ApiAuth()
  @ApiProduces('application/json')
  @ApiOkResponse({ type: AccountExportResponse, description: 'Sent as an attachment: cartsync-export-<date>.json' })
  @ApiErrors(503)
  async export(@CurrentUser() user: AuthUser): Promise<StreamableFile> {
    const { fileName, json } = await this.account.export(user);
    return new StreamableFile(Buffer.from(json), {
      type: 'application/json; charset=utf-8',
      disposition: `attachment; filename="${fileName}"`,
    });
  }

  /**
   * Deletes the account, asking for its password again (403 when wrong, nothing removed): its
   * sessions end at once; lists it was alone in are deleted with their receipts; shared lists
   * it owned pass to their longest-standing other member; it leaves every other list.
   */
  @Delete('me')
  @HttpCode(204)
  @ApiAuth()
  @ApiNoContentResponse()
  @ApiErrors(400, 403, 429, 503)
  deleteAccount(
    @CurrentUser() user: AuthUser,
    @Body() dto: DeleteAccountDto,
    @Client() client: ClientInfo,
  ): Promise<void> {
    return this.account.delete(user, dto, client);
  }

  /** The user's live sessions (devices), newest first. */
  @Get('sessions')
  @ApiAuth()
  @ApiOkResponse({ type: [SessionResponse] })
  sessions(@CurrentUser() user: AuthUser): Promise<SessionResponse[]> {
    return this.auth.listSessions(user);
  }

  @Delete('sessions/:id')
  @HttpCode(204)
  @ApiAuth()
  @ApiNoContentResponse()
  @ApiErrors(400, 404)
  revokeSession(@CurrentUser() user: AuthUser, @Param('id', UuidParam('id')) id: string): Promise<void> {
    return this.auth.revokeSession(user, id);
  }

  /** Sends a 6-digit code if the account exists; the answer is the same either way. */
  @Public()
  @IdempotentPost('password-reset/request')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: MessageResponse })
  @ApiErrors(400, 429)
  requestPasswordReset(@Body() dto: PasswordResetRequestDto, @Client() client: ClientInfo): Promise<MessageResponse> {
    return this.resets.request(dto, client);
  }

  /** Sets a new password with the emailed code and signs out every session. */
  @Public()
  @IdempotentPost('password-reset/confirm')
  @HttpCode(204)
  @ApiNoContentResponse()
  @ApiErrors(400, 429, 503)
  confirmPasswordReset(@Body() dto: PasswordResetConfirmDto, @Client() client: ClientInfo): Promise<void> {
    return this.resets.confirm(dto, client);
  }
}
