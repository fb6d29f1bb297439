import { throttleConfig } from './throttle.config';

describe('throttleConfig', () => {
  it('should default to production limits', () => {
    expect(throttleConfig({})).toEqual({
      limits: {
        loginPerAccount: { points: 10, durationSec: 900 },
        loginPerIp: { points: 50, durationSec: 900 },
        registerPerIp: { points: 20, durationSec: 3600 },
        resetRequestPerAccount: { points: 5, durationSec: 3600 },
        resetRequestPerIp: { points: 20, durationSec: 3600 },
        resetConfirmPerAccount: { points: 10, durationSec: 900 },
        resetConfirmPerIp: { points: 50, durationSec: 900 },
        invitePerUser: { points: 10, durationSec: 900 },
        invitePerIp: { points: 30, durationSec: 900 },
        wsHandshakePerUser: { points: 30, durationSec: 60 },
      },
      purgeIntervalMs: 300_000,
    });
  });

  it('should take each limit and window from its variable', () => {
    const config = throttleConfig({
      LOGIN_MAX_FAILURES: '3',
      LOGIN_MAX_FAILURES_PER_IP: '7',
      LOGIN_FAILURE_WINDOW_SEC: '60',
      WS_HANDSHAKES_PER_MIN: '5',
      THROTTLE_PURGE_INTERVAL_SEC: '1',
    });
    expect(config.limits.loginPerAccount).toEqual({ points: 3, durationSec: 60 });
    expect(config.limits.loginPerIp).toEqual({ points: 7, durationSec: 60 });
    expect(config.limits.wsHandshakePerUser).toEqual({ points: 5, durationSec: 60 });
    expect(config.purgeIntervalMs).toBe(1000);
  });

  it('should refuse a limit of 0 naming the variable', () => {
    expect(throttleConfig.problems({ REGISTER_MAX_PER_IP: '0' })).toEqual([
      'REGISTER_MAX_PER_IP: must be a whole number from 1 to 100000',
    ]);
  });
});
