/**
 * Misbehaviour switches that tests and the demo set through `POST /__sim/state`.
 */
export interface TimeRange {
  from: string;
  to: string;
}

export interface SimState {
  /** HTTP and RTSP connections are accepted and destroyed at once (the control API stays up). */
  offline: boolean;
  /** The device password was changed: the configured credentials now get 401 on HTTP and RTSP. */
  wrongPassword: boolean;
  /** Bytes per second for loadfile bodies and RTSP server-to-client traffic, or null for no limit. */
  slowBytesPerSec: number | null;
  /** Body bytes that loadfile sends before it destroys the socket, or null for no truncation. */
  truncateAfterBytes: number | null;
  /** Real-time ranges (ISO 8601) with no recording: loadfile skips them and findFile shows holes. */
  gaps: TimeRange[];
  /** How far the NVR clock runs ahead of real time (negative: behind), in ms. */
  clockOffsetMs: number;
}

export interface GapMs {
  fromMs: number;
  toMs: number;
}

export function createDefaultState(): SimState {
  return {
    offline: false,
    wrongPassword: false,
    slowBytesPerSec: null,
    truncateAfterBytes: null,
    gaps: [],
    clockOffsetMs: 0,
  };
}

export class StatePatchError extends Error {}

/**
 * Validates a JSON patch and returns the state with the patch applied.
 * Throws StatePatchError naming the field when a value is invalid or a key is unknown.
 */
export function applyStatePatch(current: SimState, patch: unknown): SimState {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
    throw new StatePatchError('The request body must be a JSON object.');
  }
  const next: SimState = { ...current, gaps: [...current.gaps] };

  for (const [key, value] of Object.entries(patch)) {
    switch (key) {
      case 'offline':
      case 'wrongPassword':
        if (typeof value !== 'boolean') {
          throw new StatePatchError(`${key} must be true or false.`);
        }
        next[key] = value;
        break;
      case 'slowBytesPerSec':
        next.slowBytesPerSec = readOptionalCount(key, value, 1);
        break;
      case 'truncateAfterBytes':
        next.truncateAfterBytes = readOptionalCount(key, value, 0);
        break;
      case 'clockOffsetMs':
        if (typeof value !== 'number' || !Number.isFinite(value)) {
          throw new StatePatchError('clockOffsetMs must be a finite number of milliseconds.');
        }
        next.clockOffsetMs = Math.round(value);
        break;
      case 'gaps':
        next.gaps = readGaps(value);
        break;
      default:
        throw new StatePatchError(`Unknown state field "${key}".`);
    }
  }

  return next;
}

/** Converts the gap list to epoch ms, sorted by start. */
export function gapsInMs(state: SimState): GapMs[] {
  return state.gaps
    .map((gap) => ({ fromMs: Date.parse(gap.from), toMs: Date.parse(gap.to) }))
    .sort((a, b) => a.fromMs - b.fromMs);
}

function readOptionalCount(key: string, value: unknown, minimum: number): number | null {
  if (value === null || value === 0 || value === false) {
    return null;
  }
  if (typeof value !== 'number' || !Number.isInteger(value) || value < minimum) {
    throw new StatePatchError(`${key} must be null or an integer >= ${minimum}.`);
  }
  return value;
}

function readGaps(value: unknown): TimeRange[] {
  if (!Array.isArray(value)) {
    throw new StatePatchError('gaps must be an array of { from, to } ISO 8601 times.');
  }
  return value.map((item: unknown, index) => {
    const from = (item as { from?: unknown } | null)?.from;
    const to = (item as { to?: unknown } | null)?.to;
    if (typeof from !== 'string' || typeof to !== 'string') {
      throw new StatePatchError(`gaps[${index}] must have string fields from and to.`);
    }
    const fromMs = Date.parse(from);
    const toMs = Date.parse(to);
    if (Number.isNaN(fromMs) || Number.isNaN(toMs)) {
      throw new StatePatchError(`gaps[${index}] has an invalid ISO 8601 time.`);
    }
    if (toMs <= fromMs) {
      throw new StatePatchError(`gaps[${index}].to must be later than from.`);
    }
    return { from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString() };
  });
}
