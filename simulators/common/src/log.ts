/**
 * JSON-lines logger on stderr for the simulators. Stdout is reserved for the machine-readable
 * `ready` event that launch.ts waits for, so nothing else may write there.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export type LogFunction = (level: LogLevel, message: string, fields?: Record<string, unknown>) => void;

const LEVEL_ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

function parseLevel(value: string | undefined): LogLevel {
  if (value === 'debug' || value === 'info' || value === 'warn' || value === 'error') {
    return value;
  }
  return 'info';
}

/**
 * Creates a log function that tags each line with `component`. It drops lines below the level set
 * in the environment variable `levelVariable`: debug, info, warn or error, and info when unset or
 * invalid. The variable is read once, when createLogger runs.
 */
export function createLogger(component: string, levelVariable: string): LogFunction {
  const minimumLevel = parseLevel(process.env[levelVariable]);
  return (level, message, fields = {}) => {
    if (LEVEL_ORDER[level] < LEVEL_ORDER[minimumLevel]) {
      return;
    }
    const entry = { time: new Date().toISOString(), level, component, message, ...fields };
    process.stderr.write(`${JSON.stringify(entry)}\n`);
  };
}

export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
