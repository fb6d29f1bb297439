import { readFileSync } from 'node:fs';
import { AddressInfo, createServer, Server, Socket } from 'node:net';
import { join } from 'node:path';
import { TLSSocket } from 'node:tls';
import { DataSource } from 'typeorm';
import { databaseConfig } from '../src/config/database.config';
import { dataSourceOptions } from '../src/database/data-source';

const TLS = join(__dirname, 'fixtures/tls');
/** A test CA, and a server certificate it signed for the host name `localhost` only. */
const CA_FILE = join(TLS, 'ca.crt');
const SSL_REQUEST = 80877103;

/**
 * Stands where PostgreSQL would: answers an SSLRequest with `S` and completes the TLS
 * handshake with the test certificate (then hangs up), or notes a plain-text startup.
 */
class FakeTlsDatabase {
  handshakes = 0;
  plainText = 0;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  private constructor() {
    const key = readFileSync(join(TLS, 'server.key'));
    const cert = readFileSync(join(TLS, 'server.crt'));
    this.server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.once('data', (chunk) => {
        if (chunk.length !== 8 || chunk.readInt32BE(4) !== SSL_REQUEST) {
          this.plainText++;
          socket.destroy();
          return;
        }
        socket.write('S');
        const tls = new TLSSocket(socket, { isServer: true, key, cert });
        tls.on('secure', () => {
          this.handshakes++;
          tls.destroy();
        });
        tls.on('error', () => socket.destroy());
      });
    });
  }

  static async start(): Promise<FakeTlsDatabase> {
    const db = new FakeTlsDatabase();
    await new Promise<void>((ready) => db.server.listen(0, ready));
    return db;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((done) => this.server.close(done));
  }
}

/**
 * Connects as the app does (the config's connection, TypeORM's pool over node-postgres): the
 * error's code, or what the fake server saw once the handshake went through.
 */
async function connect(db: FakeTlsDatabase, host: string, env: Record<string, string>, query = ''): Promise<string> {
  const config = databaseConfig({
    DATABASE_URL: `postgres://cartsync:secret@${host}:${db.port}/cartsync${query}`,
    ...env,
  });
  const dataSource = new DataSource(dataSourceOptions(config.external!, { poolSize: 1, connectTimeoutMs: 3000 }));
  const error = await dataSource.initialize().then(
    () => 'connected',
    (e: { code?: string; message: string }) => e.code ?? e.message,
  );
  if (dataSource.isInitialized) await dataSource.destroy();
  return error;
}

describe('TLS to PostgreSQL as configured (a fake server holding a certificate from a private CA, for localhost)', () => {
  let db: FakeTlsDatabase;
  beforeEach(async () => {
    db = await FakeTlsDatabase.start();
  });
  afterEach(() => db.stop());

  it('should refuse the certificate with DB_SSLMODE=require and no CA file: it cannot be verified', async () => {
    const error = await connect(db, 'localhost', { DB_SSLMODE: 'require' });
    expect(error).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    expect(db.handshakes).toBe(0);
  });

  it('should refuse it with sslmode=require in DATABASE_URL too', async () => {
    expect(await connect(db, 'localhost', {}, '?sslmode=require')).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    expect(db.handshakes).toBe(0);
  });

  it('should complete the handshake with verify-full and the CA of DB_SSLROOTCERT on the host the certificate names', async () => {
    await connect(db, 'localhost', { DB_SSLMODE: 'verify-full', DB_SSLROOTCERT: CA_FILE });
    expect(db.handshakes).toBe(1);
  });

  it('should refuse another host name with verify-full, even with the right CA', async () => {
    const error = await connect(db, '127.0.0.1', { DB_SSLMODE: 'verify-full', DB_SSLROOTCERT: CA_FILE });
    expect(error).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(db.handshakes).toBe(0);
  });

  it('should accept another host name with verify-ca and the CA file (from DATABASE_URL: sslmode and sslrootcert)', async () => {
    await connect(db, '127.0.0.1', {}, `?sslmode=verify-ca&sslrootcert=${CA_FILE}`);
    expect(db.handshakes).toBe(1);
  });

  it('should encrypt without verifying with no-verify', async () => {
    await connect(db, '127.0.0.1', { DB_SSLMODE: 'no-verify' });
    expect(db.handshakes).toBe(1);
  });

  it('should speak plain text with disable', async () => {
    await connect(db, '127.0.0.1', { DB_SSLMODE: 'disable' });
    expect(db.handshakes).toBe(0);
    expect(db.plainText).toBe(1);
  });
});
