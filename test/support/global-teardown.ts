export default async function globalTeardown(): Promise<void> {
  await globalThis.__CARTSYNC_TEST_PG__?.stop();
}
