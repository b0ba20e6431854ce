import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import type { UserRow } from '../../db/schema.js';
import { hashPassword, verifyPassword } from '../../adapters/crypto/password.js';
import { AppError } from '../../lib/errors.js';
import { nowIso } from '../../lib/time.js';
import type { AuditService } from '../audit/audit.service.js';
import { parseRoles, type AuthUser, type PasswordChangeReason } from './auth.types.js';
import { checkPasswordStrength, isPasswordExpired } from './password-policy.js';

function tokenId(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

// Touch last_seen_at at most this often, so every request does not write to the database.
const TOUCH_INTERVAL_MS = 60_000;

/** Account rules from the configuration. */
export interface AccountPolicy {
  idleMinutes: number;
  defaultPassword: string;
  passwordMinLength: number;
  passwordMaxAgeDays: number;
  loginMaxFailures: number;
  lockoutMinutes: number;
}

/** A logged-in session as the request hooks see it. */
export interface ResolvedSession {
  user: AuthUser;
  csrfToken: string;
}

/** Logs users in and out, enforces lockout and password age, and resolves the session cookie to a user. */
export class AuthService {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditService,
    private readonly policy: AccountPolicy,
  ) {}

  /** Records a login refused by the per-IP rate limit, so bursts of guessing show in 安全审计. */
  async recordRateLimitedLogin(username: string, clientIp: string): Promise<void> {
    const row = await this.db.kysely.selectFrom('users').select(['id']).where('username', '=', username).executeTakeFirst();
    await this.audit.record({ userId: row?.id ?? null, username, clientIp, action: 'auth.login', result: 'failure', details: { reason: 'rate_limited' } });
  }

  async login(username: string, password: string, clientIp: string): Promise<{ token: string; csrfToken: string; user: AuthUser }> {
    const row = await this.db.kysely.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
    const failure = (userId: number | null, reason: string) =>
      this.audit.record({ userId, username, clientIp, action: 'auth.login', result: 'failure', details: { reason } });

    if (row?.locked_until && Date.parse(row.locked_until) > Date.now()) {
      await failure(row.id, 'locked');
      throw new AppError('ACCOUNT_LOCKED');
    }

    // An unknown login name costs a scrypt run too, so the response time does not tell which names exist.
    const isValid = await verifyPassword(password, row?.password_hash ?? (await this.dummyHash()));
    if (!row) {
      await failure(null, 'unknown user');
      throw new AppError('INVALID_CREDENTIALS');
    }
    if (!isValid) {
      await failure(row.id, 'invalid password');
      await this.countFailure(row, clientIp);
    }
    if (row.status !== 'active') {
      await failure(row.id, 'disabled');
      throw new AppError('ACCOUNT_DISABLED');
    }

    await this.db.kysely.updateTable('users').set({ failed_login_count: 0, locked_until: null }).where('id', '=', row.id).execute();

    const token = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(24).toString('base64url');
    const now = nowIso();
    await this.db.kysely
      .insertInto('login_sessions')
      .values({ id: tokenId(token), user_id: row.id, client_ip: clientIp, created_at: now, last_seen_at: now, csrf_token: csrfToken })
      .execute();
    await this.audit.record({ userId: row.id, username, clientIp, action: 'auth.login', result: 'success' });

    const user = await this.findUser(row.id);
    if (!user) throw new AppError('INVALID_CREDENTIALS');
    return { token, csrfToken, user };
  }

  private dummyHashPromise: Promise<string> | null = null;

  private dummyHash(): Promise<string> {
    this.dummyHashPromise ??= hashPassword(randomBytes(16).toString('hex'));
    return this.dummyHashPromise;
  }

  // Counts one failed login and locks the account at the configured maximum; always throws.
  private async countFailure(row: UserRow, clientIp: string): Promise<never> {
    const updated = await this.db.kysely
      .updateTable('users')
      .set({ failed_login_count: sql<number>`failed_login_count + 1` })
      .where('id', '=', row.id)
      .returning('failed_login_count')
      .executeTakeFirstOrThrow();
    if (updated.failed_login_count < this.policy.loginMaxFailures) throw new AppError('INVALID_CREDENTIALS');

    const lockedUntil = new Date(Date.now() + this.policy.lockoutMinutes * 60_000).toISOString();
    await this.db.kysely.updateTable('users').set({ failed_login_count: 0, locked_until: lockedUntil }).where('id', '=', row.id).execute();
    await this.audit.record({
      userId: row.id,
      username: row.username,
      clientIp,
      action: 'auth.lockout',
      targetType: 'user',
      targetId: row.id,
      result: 'success',
      details: { failures: updated.failed_login_count, lockedUntil },
    });
    throw new AppError('ACCOUNT_LOCKED');
  }

  async logout(token: string, user: AuthUser | null, clientIp: string, reason: string): Promise<void> {
    await this.db.kysely.deleteFrom('login_sessions').where('id', '=', tokenId(token)).execute();
    if (user) await this.audit.record({ userId: user.id, username: user.username, clientIp, action: 'auth.logout', result: 'success', details: { reason } });
  }

  /** Changes the caller's own password after checking the old one and the strength rules. */
  async changePassword(user: AuthUser, oldPassword: string, newPassword: string, clientIp: string): Promise<AuthUser> {
    const row = await this.db.kysely.selectFrom('users').select(['password_hash']).where('id', '=', user.id).executeTakeFirstOrThrow();
    const reject = async (code: 'OLD_PASSWORD_WRONG' | 'PASSWORD_TOO_WEAK' | 'PASSWORD_UNCHANGED', message?: string) => {
      await this.audit.record({ userId: user.id, username: user.username, clientIp, action: 'auth.password.change', targetType: 'user', targetId: user.id, result: 'failure', details: { reason: code } });
      return new AppError(code, message);
    };

    if (!(await verifyPassword(oldPassword, row.password_hash))) throw await reject('OLD_PASSWORD_WRONG');
    if (newPassword === oldPassword) throw await reject('PASSWORD_UNCHANGED');
    const weakness = checkPasswordStrength(newPassword, { minLength: this.policy.passwordMinLength, maxAgeDays: this.policy.passwordMaxAgeDays });
    if (weakness || newPassword === this.policy.defaultPassword) throw await reject('PASSWORD_TOO_WEAK', weakness ?? undefined);

    const now = nowIso();
    await this.db.kysely
      .updateTable('users')
      .set({ password_hash: await hashPassword(newPassword), must_change_password: 0, password_changed_at: now, updated_at: now })
      .where('id', '=', user.id)
      .execute();
    await this.audit.record({ userId: user.id, username: user.username, clientIp, action: 'auth.password.change', targetType: 'user', targetId: user.id, result: 'success' });

    const updated = await this.findUser(user.id);
    if (!updated) throw new AppError('UNAUTHENTICATED');
    return updated;
  }

  /** Returns the user and CSRF token of a valid, not idle session, or null. */
  async resolve(token: string): Promise<ResolvedSession | null> {
    const id = tokenId(token);
    const session = await this.db.kysely.selectFrom('login_sessions').selectAll().where('id', '=', id).executeTakeFirst();
    if (!session) return null;

    const idleMs = Date.now() - Date.parse(session.last_seen_at);
    if (idleMs > this.policy.idleMinutes * 60_000) {
      await this.db.kysely.deleteFrom('login_sessions').where('id', '=', id).execute();
      return null;
    }
    if (idleMs > TOUCH_INTERVAL_MS) {
      await this.db.kysely.updateTable('login_sessions').set({ last_seen_at: nowIso() }).where('id', '=', id).execute();
    }

    const user = await this.findUser(session.user_id);
    if (!user) {
      await this.db.kysely.deleteFrom('login_sessions').where('id', '=', id).execute();
      return null;
    }
    return { user, csrfToken: session.csrf_token };
  }

  private async findUser(userId: number): Promise<AuthUser | null> {
    const row = await this.db.kysely
      .selectFrom('users')
      .leftJoin('departments', 'departments.id', 'users.department_id')
      .select([
        'users.id',
        'users.username',
        'users.display_name',
        'users.roles',
        'users.status',
        'users.must_change_password',
        'users.password_changed_at',
        'users.created_at',
        'departments.name as department_name',
      ])
      .where('users.id', '=', userId)
      .executeTakeFirst();
    if (!row || row.status !== 'active') return null;

    let passwordChangeReason: PasswordChangeReason | null = null;
    if (row.must_change_password) passwordChangeReason = 'initial';
    else if (isPasswordExpired(row.password_changed_at ?? row.created_at, new Date(), this.policy.passwordMaxAgeDays)) passwordChangeReason = 'expired';

    return {
      id: row.id,
      username: row.username,
      displayName: row.display_name,
      roles: parseRoles(row.roles),
      departmentName: row.department_name,
      passwordChangeReason,
    };
  }
}
