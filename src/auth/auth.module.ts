import { Module } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { MailModule } from '../common/mail/mail.module';
import { RateLimitModule } from '../common/rate-limit/rate-limit.module';
import { authConfig } from '../config/auth.config';
import { ListsModule } from '../lists/lists.module';
import { UsersModule } from '../users/users.module';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { JwtAuthGuard } from './jwt-auth.guard';
import { JwtStrategy } from './jwt.strategy';
import { PasswordHasher } from './password-hasher';
import { PasswordResetService } from './password-reset.service';
import { PasswordResetsRepository } from './password-resets.repository';
import { SessionLiveness } from './session-liveness';
import { SessionsRepository } from './sessions.repository';

@Module({
  imports: [
    PassportModule,
    JwtModule.registerAsync({
      inject: [authConfig.KEY],
      useFactory: (config: ConfigType<typeof authConfig>) => ({
        secret: config.jwtSecret,
        signOptions: { algorithm: 'HS256', expiresIn: Math.floor(config.accessTtlMs / 1000) },
        verifyOptions: { algorithms: ['HS256'] },
      }),
    }),
    UsersModule,
    ListsModule,
    MailModule,
    RateLimitModule,
  ],
  controllers: [AuthController],
  providers: [
    AuthService,
    PasswordResetService,
    PasswordHasher,
    SessionsRepository,
    PasswordResetsRepository,
    SessionLiveness,
    JwtStrategy,
    { provide: APP_GUARD, useClass: JwtAuthGuard },
  ],
  exports: [AuthService],
})
export class AuthModule {}
