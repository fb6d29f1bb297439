import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import { configureApp } from './app.setup';
import { exitOnSignals } from './common/lifecycle/graceful-shutdown';
import { bootLogger } from './common/logging/logging.module';
import { assertPortFree, explainListenError } from './common/net/ports';
import { appConfig } from './config/app.config';
import { ensureDevelopmentSecret } from './config/development-secret';
import { loadEnvFile } from './config/env-file';
import { validateEnv } from './config/validate-env';
import { startEmbeddedDatabaseIfNeeded } from './database/embedded-database';

async function bootstrap(): Promise<void> {
  loadEnvFile();
  validateEnv(process.env);
  ensureDevelopmentSecret(process.env);
  Logger.overrideLogger(bootLogger());
  const { port, host, shutdownTimeoutMs } = appConfig();
  // A second server on the same PORT stops here, before it starts or joins any database.
  await assertPortFree(port, host);
  const embedded = await startEmbeddedDatabaseIfNeeded();
  try {
    const app = await NestFactory.create<NestExpressApplication>(AppModule, { bufferLogs: true, bodyParser: false });
    configureApp(app);
    exitOnSignals(app, { timeoutMs: shutdownTimeoutMs, afterClose: () => embedded?.stop() });
    await app.listen(port, host).catch((error: unknown) => {
      throw explainListenError(error, port, host);
    });
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(`CartSync failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
