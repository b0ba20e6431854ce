import { timingSafeEqual } from 'node:crypto';
import type { AppInstance } from '../../app.types.js';
import { AppError } from '../../lib/errors.js';

export const SESSION_COOKIE = 'tonglu_sid';
export const CSRF_HEADER = 'x-tonglu-csrf';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

// Routes a user who must change the password may still call: who am I, log out, change the password.
const PASSWORD_CHANGE_ROUTES = new Set(['GET /api/auth/me', 'POST /api/auth/logout', 'POST /api/auth/password']);

function isSameToken(expected: string, actual: string | string[] | undefined): boolean {
  if (typeof actual !== 'string' || expected === '') return false;
  const expectedBytes = Buffer.from(expected);
  const actualBytes = Buffer.from(actual);
  return expectedBytes.length === actualBytes.length && timingSafeEqual(expectedBytes, actualBytes);
}

/**
 * Adds the session hooks: resolve the cookie to a user, check the CSRF header on every state-changing request
 * of a logged-in session, and allow only the password change while the password is default or expired.
 */
export function addSessionHooks(app: AppInstance): void {
  app.decorateRequest('csrfToken', null);

  app.addHook('onRequest', async (request) => {
    const token = request.cookies[SESSION_COOKIE];
    const session = token ? await app.services.auth.resolve(token) : null;
    request.user = session?.user ?? null;
    request.csrfToken = session?.csrfToken ?? null;
    if (!session) return;

    const route = `${request.method} ${request.url.split('?')[0]}`;
    // SameSite=Strict already keeps the cookie off cross-site requests; the header is the second barrier.
    if (!SAFE_METHODS.has(request.method) && !isSameToken(session.csrfToken, request.headers[CSRF_HEADER])) {
      throw new AppError('CSRF_TOKEN_INVALID');
    }
    if (session.user.passwordChangeReason && request.url.startsWith('/api/') && !PASSWORD_CHANGE_ROUTES.has(route)) {
      throw new AppError('PASSWORD_CHANGE_REQUIRED');
    }
  });
}
