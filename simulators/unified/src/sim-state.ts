/**
 * Misbehaviour switches that tests and the demo set through `POST /__sim/state`.
 */
export const MALFORMED_KINDS = ['missing-fields', 'bad-dates', 'bad-id-numbers', 'huge-strings', 'bad-json'] as const;
export type MalformedKind = (typeof MALFORMED_KINDS)[number];

export interface SimState {
  /** The API listener is closed, so connections are refused. Switching off reopens the same port. */
  down: boolean;
  /** Delay before each API response, in ms, or null. */
  slowMs: number | null;
  /** HTTP status sent instead of the real response (e.g. 503), or null. Applies before authentication. */
  errorStatus: number | null;
  /** Every Nth API request, counted from when errorStatus or errorEvery was set, gets the error (1 = all). */
  errorEvery: number;
  /** Body bytes an API response sends before the socket is destroyed, or null for complete responses. */
  dropAfterBytes: number | null;
  /** Defects applied to the first case of each `GET /api/v1/cases` page. */
  malformed: MalformedKind[];
  /** How many more case pages get the defects, or null for every page until `malformed` is cleared. */
  malformedPages: number | null;
}

export function createDefaultState(): SimState {
  return {
    down: false,
    slowMs: null,
    errorStatus: null,
    errorEvery: 1,
    dropAfterBytes: null,
    malformed: [],
    malformedPages: null,
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
  const next: SimState = { ...current, malformed: [...current.malformed] };

  for (const [key, value] of Object.entries(patch)) {
    switch (key) {
      case 'down':
        if (typeof value !== 'boolean') {
          throw new StatePatchError('down must be true or false.');
        }
        next.down = value;
        break;
      case 'slowMs':
        next.slowMs = readOptionalInteger(key, value, 1, 600_000);
        break;
      case 'errorStatus':
        next.errorStatus = readOptionalInteger(key, value, 400, 599);
        break;
      case 'errorEvery':
        next.errorEvery = readOptionalInteger(key, value, 1, 1_000_000) ?? 1;
        break;
      case 'dropAfterBytes':
        next.dropAfterBytes = value === null ? null : readOptionalInteger(key, value, 0, Number.MAX_SAFE_INTEGER, true);
        break;
      case 'malformed':
        next.malformed = readMalformedKinds(value);
        break;
      case 'malformedPages':
        next.malformedPages = readOptionalInteger(key, value, 1, 1_000_000);
        break;
      default:
        throw new StatePatchError(`Unknown state field "${key}". Known fields: ${Object.keys(createDefaultState()).join(', ')}.`);
    }
  }

  return next;
}

/** Reads an integer in range. null, false and 0 (unless `zeroIsValue`) switch the setting off. */
function readOptionalInteger(key: string, value: unknown, minimum: number, maximum: number, zeroIsValue = false): number | null {
  if (value === null || value === false || (value === 0 && !zeroIsValue)) {
    return null;
  }
  if (typeof value !== 'number' || !Number.isInteger(value) || value < minimum || value > maximum) {
    throw new StatePatchError(`${key} must be null or an integer from ${minimum} to ${maximum}, got ${JSON.stringify(value)}.`);
  }
  return value;
}

function readMalformedKinds(value: unknown): MalformedKind[] {
  if (!Array.isArray(value)) {
    throw new StatePatchError(`malformed must be an array of: ${MALFORMED_KINDS.join(', ')}.`);
  }
  return value.map((kind: unknown, index) => {
    if (typeof kind !== 'string' || !(MALFORMED_KINDS as readonly string[]).includes(kind)) {
      throw new StatePatchError(`malformed[${index}] ${JSON.stringify(kind)} is unknown. Known kinds: ${MALFORMED_KINDS.join(', ')}.`);
    }
    return kind as MalformedKind;
  });
}
