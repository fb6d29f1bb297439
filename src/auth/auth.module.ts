import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { MailModule } from '../common/mail/mail.module';
import { ThrottlesModule } from '../common/rate-limit/throttles.module';
import { ListsModule } from '../lists/lists.module';
import { SessionsModule } from '../sessions/sessions.module';
import { StoresModule } from '../stores/stores.module';
import { SuggestionsModule } from '../suggestions/suggestions.module';
import { TripsModule } from '../trips/trips.module';
import { UsersModule } from '../users/users.module';
import { AccountService } from './account.service';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { JwtAuthGuard } from './jwt-auth.guard';
import { PasswordHasher } from './password-hasher';
import { PasswordResetService } from './password-reset.service';
import { PasswordResetsRepository } from './password-resets.repository';

@Module({
  imports: [
    SessionsModule,
    UsersModule,
    ListsModule,
    StoresModule,
    TripsModule,
    SuggestionsModule,
    MailModule,
    ThrottlesModule,
  ],
  controllers: [AuthController],
  providers: [
    AuthService,
    AccountService,
    PasswordResetService,
    PasswordHasher,
    PasswordResetsRepository,
    { provide: APP_GUARD, useClass: JwtAuthGuard },
  ],
})
export class AuthModule {}
