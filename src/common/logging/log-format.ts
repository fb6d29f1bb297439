import type { LogFormat } from '../../config/observability.config';

export interface LogFormatInputs {
  nodeEnv: 'development' | 'production' | 'test';
  /** Whether stdout is a terminal (`process.stdout.isTTY`). */
  isTTY: boolean;
  /** LOG_FORMAT, when set. */
  override?: LogFormat;
}

/**
 * How log lines are written: JSON for machines (production, pipes, files, CI, tests), readable
 * lines (pino-pretty) for a person running the server in development in a terminal. LOG_FORMAT
 * decides when set.
 */
export function logFormat({ nodeEnv, isTTY, override }: LogFormatInputs): LogFormat {
  if (override) return override;
  return nodeEnv === 'development' && isTTY ? 'pretty' : 'json';
}
