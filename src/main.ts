import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { ConfigType } from '@nestjs/config';
import { AppModule } from './app.module';
import { configureApp } from './app.setup';
import { exitOnSignals } from './common/lifecycle/graceful-shutdown';
import { appConfig } from './config/app.config';
import { ensureDevelopmentSecret } from './config/development-secret';
import { loadEnvFile } from './config/env-file';
import { validateEnv } from './config/validate-env';
import { startEmbeddedDatabaseIfNeeded } from './database/embedded-database';

async function bootstrap(): Promise<void> {
  loadEnvFile();
  validateEnv(process.env);
  ensureDevelopmentSecret(process.env);
  const embedded = await startEmbeddedDatabaseIfNeeded();
  try {
    const app = await NestFactory.create<NestExpressApplication>(AppModule, { bufferLogs: true, bodyParser: false });
    configureApp(app);
    const config = app.get<ConfigType<typeof appConfig>>(appConfig.KEY);
    exitOnSignals(app, { timeoutMs: config.shutdownTimeoutMs, afterClose: () => embedded?.stop() });
    await app.listen(config.port, config.host);
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(`CartSync failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
