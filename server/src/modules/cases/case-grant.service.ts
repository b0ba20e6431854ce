import { AppError, invalid } from '../../lib/errors.js';
import type { AuditService } from '../audit/audit.service.js';
import { hasRole, parseRoles, type AuthUser } from '../auth/auth.types.js';
import type { CaseGrantRepository, PersonRow } from './case-grant.repository.js';
import type { CaseService } from './case.service.js';

export interface GrantView {
  userId: number;
  displayName: string;
  username: string;
  departmentName: string | null;
  grantedAt: string;
  grantedByName: string;
}

export interface PersonView {
  id: number;
  displayName: string;
  username: string;
  departmentName: string | null;
}

export function toPersonView(row: PersonRow): PersonView {
  return { id: row.id, displayName: row.display_name, username: row.username, departmentName: row.department_name };
}

/** Checks that a person may receive a grant or a case: an active account with the officer (办案人员) role. */
export function isActiveOfficer(row: PersonRow): boolean {
  return row.status === 'active' && parseRoles(row.roles).includes('officer');
}

/** 案件同录授权: the case's handler grants and revokes recording rights on it; every change is audited. */
export class CaseGrantService {
  constructor(
    private readonly grants: CaseGrantRepository,
    private readonly cases: CaseService,
    private readonly audit: AuditService,
  ) {}

  /** Lists a case's active grants for its handler, and for system admins who need them for 案件移交. */
  async list(user: AuthUser, caseId: number): Promise<GrantView[]> {
    const caseRow = await this.cases.getVisible(user, caseId);
    if (caseRow.handler_id !== user.id && !hasRole(user, 'sysadmin')) throw new AppError('NOT_CASE_HANDLER');
    const rows = await this.grants.listActive(caseId);
    return rows.map((row) => ({
      userId: row.grantee_id,
      displayName: row.grantee_name,
      username: row.grantee_username,
      departmentName: row.department_name,
      grantedAt: row.granted_at,
      grantedByName: row.granted_by_name,
    }));
  }

  /** Active officers for the transfer-list picker, searched by name, login name or department. */
  async searchCandidates(keyword: string): Promise<PersonView[]> {
    const rows = await this.grants.searchPeople(keyword.trim(), 500);
    return rows.filter(isActiveOfficer).map(toPersonView);
  }

  async grant(user: AuthUser, clientIp: string, caseId: number, granteeId: number): Promise<void> {
    const caseRow = await this.getManaged(user, caseId);
    await this.checkGrantee(caseRow.handler_id, granteeId);
    if (await this.grants.hasActiveGrant(caseId, granteeId)) throw new AppError('GRANT_EXISTS');

    await this.grants.insert(caseId, granteeId, user.id);
    await this.recordAudit(user, clientIp, 'case.grant', caseId, granteeId);
  }

  async revoke(user: AuthUser, clientIp: string, caseId: number, granteeId: number): Promise<void> {
    await this.getManaged(user, caseId);
    if (!(await this.grants.revoke(caseId, granteeId, user.id))) throw new AppError('GRANT_NOT_FOUND');
    await this.recordAudit(user, clientIp, 'case.grant.revoke', caseId, granteeId);
  }

  /** Makes the active grants exactly `granteeIds`, as the transfer list's 确定 does; returns what changed. */
  async replace(user: AuthUser, clientIp: string, caseId: number, granteeIds: number[]): Promise<{ added: number[]; removed: number[] }> {
    const caseRow = await this.getManaged(user, caseId);
    if (new Set(granteeIds).size !== granteeIds.length) throw invalid('授权人员列表中有重复的人员，请刷新页面后重试。');
    const current = (await this.grants.listActive(caseId)).map((row) => row.grantee_id);
    const added = granteeIds.filter((id) => !current.includes(id));
    const removed = current.filter((id) => !granteeIds.includes(id));
    for (const granteeId of added) await this.checkGrantee(caseRow.handler_id, granteeId);

    for (const granteeId of removed) {
      await this.grants.revoke(caseId, granteeId, user.id);
      await this.recordAudit(user, clientIp, 'case.grant.revoke', caseId, granteeId);
    }
    for (const granteeId of added) {
      await this.grants.insert(caseId, granteeId, user.id);
      await this.recordAudit(user, clientIp, 'case.grant', caseId, granteeId);
    }
    return { added, removed };
  }

  /** Loads a case the user handles; others who may see it get 403, everyone else "not found". */
  private async getManaged(user: AuthUser, caseId: number) {
    const caseRow = await this.cases.getVisible(user, caseId);
    if (caseRow.handler_id !== user.id) throw new AppError('NOT_CASE_HANDLER');
    return caseRow;
  }

  private async checkGrantee(handlerId: number, granteeId: number): Promise<void> {
    if (granteeId === handlerId) throw new AppError('GRANT_TO_SELF');
    const [person] = await this.grants.findPeople([granteeId]);
    if (!person || !isActiveOfficer(person)) throw new AppError('PERSON_NOT_FOUND', `所选人员（编号 ${granteeId}）不存在、已停用或不是办案人员，请重新选择。`);
  }

  private async recordAudit(user: AuthUser, clientIp: string, action: string, caseId: number, granteeId: number): Promise<void> {
    await this.audit.record({
      userId: user.id,
      username: user.username,
      clientIp,
      action,
      targetType: 'case',
      targetId: caseId,
      result: 'success',
      details: { granteeId },
    });
  }
}
