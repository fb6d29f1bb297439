import { Module } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { JwtModule } from '@nestjs/jwt';
import { authConfig } from '../config/auth.config';
import { AccessTokens, accessTokenKey } from './access-tokens';
import { LegacyTokens } from './legacy-tokens';
import { SessionLiveness } from './session-liveness';
import { SessionsRepository } from './sessions.repository';

/** Sessions and the access tokens that name them: what auth writes and every guard reads. */
@Module({
  imports: [
    JwtModule.registerAsync({
      inject: [authConfig.KEY],
      useFactory: (config: ConfigType<typeof authConfig>) => ({
        secret: accessTokenKey(config.jwtSecret),
        signOptions: { algorithm: 'HS256', expiresIn: Math.floor(config.accessTtlMs / 1000) },
        verifyOptions: { algorithms: ['HS256'] },
      }),
    }),
  ],
  providers: [SessionsRepository, SessionLiveness, LegacyTokens, AccessTokens],
  exports: [SessionsRepository, SessionLiveness, AccessTokens],
})
export class SessionsModule {}
