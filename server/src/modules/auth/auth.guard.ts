import type { FastifyRequest } from 'fastify';
import { AppError } from '../../lib/errors.js';
import { hasRole, type AuthUser, type Role } from './auth.types.js';

/** Returns the logged-in user or throws 401. */
export function requireUser(request: FastifyRequest): AuthUser {
  if (!request.user) throw new AppError('UNAUTHENTICATED');
  return request.user;
}

/** Returns the logged-in user when it has the role, or throws 403. */
export function requireRole(request: FastifyRequest, role: Role): AuthUser {
  const user = requireUser(request);
  if (!hasRole(user, role)) throw new AppError('FORBIDDEN');
  return user;
}
