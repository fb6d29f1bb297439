import { Module } from '@nestjs/common';
import { RateLimitRepository } from './rate-limit.repository';

@Module({ providers: [RateLimitRepository], exports: [RateLimitRepository] })
export class RateLimitModule {}
