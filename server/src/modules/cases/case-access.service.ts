import { hasRole, type AuthUser } from '../auth/auth.types.js';
import type { CaseGrantRepository } from './case-grant.repository.js';

/** The parts of a case row that decide access. */
export interface CaseAccessRef {
  id: number;
  handler_id: number;
}

/**
 * The one place that decides who may see and record a case. The handler (承办人) and people with an active
 * grant (案件授权) may see it and record on it; a system admin sees every case but records on none.
 * Callers answer "not found" when these return false, so nobody learns that a case exists.
 */
export class CaseAccessService {
  constructor(private readonly grants: CaseGrantRepository) {}

  async canView(user: AuthUser, caseRef: CaseAccessRef): Promise<boolean> {
    if (hasRole(user, 'sysadmin')) return true;
    return this.canRecord(user, caseRef);
  }

  async canRecord(user: AuthUser, caseRef: CaseAccessRef): Promise<boolean> {
    if (caseRef.handler_id === user.id) return true;
    return this.grants.hasActiveGrant(caseRef.id, user.id);
  }
}
