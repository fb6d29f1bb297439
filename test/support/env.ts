import { tmpdir } from 'node:os';

/**
 * Runs before every test file's imports (the config is validated when AppModule loads).
 * Each jest worker gets its own database on the run's PostgreSQL.
 */
const base = process.env.TEST_DATABASE_URL;
if (base) {
  const url = new URL(base);
  url.pathname = `/cartsync_test_${process.env.JEST_WORKER_ID ?? '1'}`;
  process.env.DATABASE_URL = url.toString();
}
process.env.NODE_ENV = 'test';
process.env.JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256-0123456789';
process.env.LOG_LEVEL = process.env.TEST_LOG_LEVEL ?? 'silent';
// Cheaper hashing keeps the suite fast; the production parameters have their own unit test.
process.env.ARGON2_MEMORY_KIB = '4096';
process.env.ARGON2_TIME_COST = '1';
process.env.DATA_DIR = `${tmpdir()}/cartsync-test-data-${process.pid}`;
delete process.env.SMTP_URL;
delete process.env.DB_HOST;
// Every test client connects from 127.0.0.1, so a per-address limit would be shared by a whole
// test file (in production it is one household's address). The throttle tests set their own.
process.env.REGISTER_MAX_PER_IP = '100000';
process.env.LOGIN_MAX_FAILURES_PER_IP = '100000';
process.env.WS_HANDSHAKES_PER_MIN = '100000';
