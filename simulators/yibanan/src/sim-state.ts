/**
 * Misbehaviour switches that tests and the demo set through `POST /__sim/state`. They live in
 * memory only, so a restarted simulator starts with the defaults.
 */
export const MALFORMED_KINDS = ['bad-json', 'wrong-receipt-hash', 'wrong-offset'] as const;
export type MalformedKind = (typeof MALFORMED_KINDS)[number];

export const API_ROUTES = ['put', 'patch', 'status', 'commit'] as const;
export type ApiRoute = (typeof API_ROUTES)[number];

export interface SimState {
  /** The API listener is closed, so connections are refused. Switching it off listens again on the same port. */
  down: boolean;
  /** Bytes per second at which API request bodies are read, or null for no limit. */
  slowBytesPerSecond: number | null;
  /** HTTP status (400–599) returned instead of handling the request, or null for none. */
  errorStatus: number | null;
  /** errorStatus is returned for every Nth matching API request (1 = all of them). */
  errorEvery: number;
  /** Only this API route gets errorStatus, or null for every route. */
  errorRoute: ApiRoute | null;
  /** PATCH body bytes after which the simulator destroys the connection, or null for no drop. */
  dropAfterBytes: number | null;
  /** When false, dropAfterBytes fires once and then switches itself off. */
  dropEvery: boolean;
  /**
   * Broken responses: 'bad-json' truncates every JSON response of the API, 'wrong-receipt-hash' puts a
   * wrong sha256 in commit receipts, 'wrong-offset' makes the next package status report a wrong
   * `received` value and then switches itself off.
   */
  malformed: MalformedKind | null;
}

export function createDefaultState(): SimState {
  return {
    down: false,
    slowBytesPerSecond: null,
    errorStatus: null,
    errorEvery: 1,
    errorRoute: null,
    dropAfterBytes: null,
    dropEvery: false,
    malformed: null,
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
  const next: SimState = { ...current };

  for (const [key, value] of Object.entries(patch)) {
    switch (key) {
      case 'down':
      case 'dropEvery':
        if (typeof value !== 'boolean') {
          throw new StatePatchError(`${key} must be true or false.`);
        }
        next[key] = value;
        break;
      case 'slowBytesPerSecond':
        next.slowBytesPerSecond = readOptionalInteger(key, value, 1);
        break;
      case 'dropAfterBytes':
        next.dropAfterBytes = readOptionalInteger(key, value, 0);
        break;
      case 'errorStatus': {
        const status = readOptionalInteger(key, value, 400);
        if (status !== null && status > 599) {
          throw new StatePatchError('errorStatus must be null or an HTTP status from 400 to 599.');
        }
        next.errorStatus = status;
        break;
      }
      case 'errorEvery': {
        const every = readOptionalInteger(key, value, 1);
        if (every === null) {
          throw new StatePatchError('errorEvery must be an integer of at least 1.');
        }
        next.errorEvery = every;
        break;
      }
      case 'errorRoute':
        if (value !== null && !API_ROUTES.includes(value as ApiRoute)) {
          throw new StatePatchError(`errorRoute must be null or one of ${API_ROUTES.join(', ')}.`);
        }
        next.errorRoute = value as ApiRoute | null;
        break;
      case 'malformed':
        if (value !== null && !MALFORMED_KINDS.includes(value as MalformedKind)) {
          throw new StatePatchError(`malformed must be null or one of ${MALFORMED_KINDS.join(', ')}.`);
        }
        next.malformed = value as MalformedKind | null;
        break;
      default:
        throw new StatePatchError(`Unknown switch "${key}".`);
    }
  }
  return next;
}

function readOptionalInteger(name: string, value: unknown, minimum: number): number | null {
  if (value === null) {
    return null;
  }
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < minimum) {
    throw new StatePatchError(`${name} must be null or an integer of at least ${minimum}.`);
  }
  return value;
}
