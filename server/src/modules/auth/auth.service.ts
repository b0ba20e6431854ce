import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../../db/database.js';
import { verifyPassword } from '../../adapters/crypto/password.js';
import { AppError } from '../../lib/errors.js';
import { nowIso } from '../../lib/time.js';
import type { AuditService } from '../audit/audit.service.js';
import { parseRoles, type AuthUser } from './auth.types.js';

function tokenId(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

// Touch last_seen_at at most this often, so every request does not write to the database.
const TOUCH_INTERVAL_MS = 60_000;

/** Logs users in and out and resolves the session cookie to a user. */
export class AuthService {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditService,
    private readonly idleMinutes: number,
  ) {}

  async login(username: string, password: string, clientIp: string): Promise<{ token: string; user: AuthUser }> {
    const row = await this.db.kysely.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
    const isValid = row ? await verifyPassword(password, row.password_hash) : false;
    if (!row || !isValid) {
      await this.audit.record({ userId: row?.id ?? null, username, clientIp, action: 'auth.login', result: 'failure', details: { reason: 'invalid credentials' } });
      throw new AppError('INVALID_CREDENTIALS');
    }
    if (row.status !== 'active') {
      await this.audit.record({ userId: row.id, username, clientIp, action: 'auth.login', result: 'failure', details: { reason: 'disabled' } });
      throw new AppError('ACCOUNT_DISABLED');
    }

    const token = randomBytes(32).toString('base64url');
    const now = nowIso();
    await this.db.kysely
      .insertInto('login_sessions')
      .values({ id: tokenId(token), user_id: row.id, client_ip: clientIp, created_at: now, last_seen_at: now })
      .execute();
    await this.audit.record({ userId: row.id, username, clientIp, action: 'auth.login', result: 'success' });

    const user = await this.findUser(row.id);
    if (!user) throw new AppError('INVALID_CREDENTIALS');
    return { token, user };
  }

  async logout(token: string, user: AuthUser | null, clientIp: string, reason: string): Promise<void> {
    await this.db.kysely.deleteFrom('login_sessions').where('id', '=', tokenId(token)).execute();
    if (user) await this.audit.record({ userId: user.id, username: user.username, clientIp, action: 'auth.logout', result: 'success', details: { reason } });
  }

  /** Returns the user of a valid, not idle session, or null. */
  async resolve(token: string): Promise<AuthUser | null> {
    const id = tokenId(token);
    const session = await this.db.kysely.selectFrom('login_sessions').selectAll().where('id', '=', id).executeTakeFirst();
    if (!session) return null;

    const idleMs = Date.now() - Date.parse(session.last_seen_at);
    if (idleMs > this.idleMinutes * 60_000) {
      await this.db.kysely.deleteFrom('login_sessions').where('id', '=', id).execute();
      return null;
    }
    if (idleMs > TOUCH_INTERVAL_MS) {
      await this.db.kysely.updateTable('login_sessions').set({ last_seen_at: nowIso() }).where('id', '=', id).execute();
    }

    const user = await this.findUser(session.user_id);
    if (!user) await this.db.kysely.deleteFrom('login_sessions').where('id', '=', id).execute();
    return user;
  }

  private async findUser(userId: number): Promise<AuthUser | null> {
    const row = await this.db.kysely
      .selectFrom('users')
      .leftJoin('departments', 'departments.id', 'users.department_id')
      .select(['users.id', 'users.username', 'users.display_name', 'users.roles', 'users.status', 'departments.name as department_name'])
      .where('users.id', '=', userId)
      .executeTakeFirst();
    if (!row || row.status !== 'active') return null;
    return { id: row.id, username: row.username, displayName: row.display_name, roles: parseRoles(row.roles), departmentName: row.department_name };
  }
}
