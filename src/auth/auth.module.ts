import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { MailModule } from '../common/mail/mail.module';
import { ThrottlesModule } from '../common/rate-limit/throttles.module';
import { ListsModule } from '../lists/lists.module';
import { SessionsModule } from '../sessions/sessions.module';
import { UsersModule } from '../users/users.module';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { JwtAuthGuard } from './jwt-auth.guard';
import { PasswordHasher } from './password-hasher';
import { PasswordResetService } from './password-reset.service';
import { PasswordResetsRepository } from './password-resets.repository';

@Module({
  imports: [SessionsModule, UsersModule, ListsModule, MailModule, ThrottlesModule],
  controllers: [AuthController],
  providers: [
    AuthService,
    PasswordResetService,
    PasswordHasher,
    PasswordResetsRepository,
    { provide: APP_GUARD, useClass: JwtAuthGuard },
  ],
})
export class AuthModule {}
