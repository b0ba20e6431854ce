/**
 * JSON-lines logger on stderr. Stdout is reserved for the machine-readable `ready` event that
 * launch.ts waits for, so nothing else may write there.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const LEVEL_ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

const minimumLevel: LogLevel = parseLevel(process.env['UNIFIED_SIM_LOG_LEVEL']);

function parseLevel(value: string | undefined): LogLevel {
  if (value === 'debug' || value === 'info' || value === 'warn' || value === 'error') {
    return value;
  }
  return 'info';
}

export function log(level: LogLevel, message: string, fields: Record<string, unknown> = {}): void {
  if (LEVEL_ORDER[level] < LEVEL_ORDER[minimumLevel]) {
    return;
  }
  const entry = { time: new Date().toISOString(), level, component: 'unified-simulator', message, ...fields };
  process.stderr.write(`${JSON.stringify(entry)}\n`);
}

export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
