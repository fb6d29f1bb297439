import { Clock } from '../../src/common/clock/clock';
import type { TestApp } from './app';

/** Moves the server's clock to `at` (undone by `jest.restoreAllMocks()`). */
export function setNow(t: TestApp, at: Date) {
  return jest.spyOn(t.app.get(Clock), 'now').mockReturnValue(at);
}
