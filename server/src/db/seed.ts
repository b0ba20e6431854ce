import type { SecretBox } from '../adapters/crypto/secret-box.js';
import { hashPassword } from '../adapters/crypto/password.js';
import type { Db } from './database.js';
import { nowIso } from '../lib/time.js';

export interface DemoUser {
  username: string;
  password: string;
  displayName: string;
  roles: string;
  department: string;
  /** 工号, matching the 大统一2.0 simulator's handlers. */
  employeeNo?: string;
}

export const demoUsers: DemoUser[] = [
  { username: 'admin', password: 'Admin@2026', displayName: '系统管理员', roles: 'sysadmin,secadmin', department: '办公室' },
  { username: 'zhangming', password: 'Tonglu@2026', displayName: '张明', roles: 'officer', department: '第一检察部', employeeNo: '0371' },
  { username: 'lihua', password: 'Tonglu@2026', displayName: '李华', roles: 'officer', department: '第二检察部', employeeNo: '0372' },
  { username: 'secadmin', password: 'Tonglu@2026', displayName: '安全管理员', roles: 'secadmin', department: '办公室' },
  { username: 'auditor', password: 'Tonglu@2026', displayName: '安全审计员', roles: 'auditor', department: '办公室' },
];

export interface DemoRoom {
  name: string;
  nvrHost: string;
  nvrHttpPort: number;
  nvrRtspPort: number;
  username: string;
  password: string;
  pcIp: string;
}

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/** Completes 17 digits with the GB 11643 check character, for sample resident ID numbers. */
export function withCheckDigit(first17: string): string {
  let sum = 0;
  for (let index = 0; index < 17; index += 1) sum += Number(first17[index]) * (WEIGHTS[index] as number);
  return first17 + ('10X98765432'[sum % 11] as string);
}

/** Inserts the demo departments, accounts, room and cases unless they exist; safe to run on every start. */
export async function seedDemoData(db: Db, secrets: SecretBox, room: DemoRoom): Promise<void> {
  const now = nowIso();
  const today = now.slice(0, 10);

  for (const user of demoUsers) {
    let department = await db.kysely.selectFrom('departments').select('id').where('name', '=', user.department).executeTakeFirst();
    if (!department) {
      department = await db.kysely.insertInto('departments').values({ name: user.department, created_at: now }).returning('id').executeTakeFirstOrThrow();
    }
    const exists = await db.kysely.selectFrom('users').select('id').where('username', '=', user.username).executeTakeFirst();
    if (exists) continue;
    await db.kysely
      .insertInto('users')
      .values({
        username: user.username,
        display_name: user.displayName,
        employee_no: user.employeeNo ?? null,
        department_id: department.id,
        roles: user.roles,
        password_hash: await hashPassword(user.password),
        must_change_password: 0,
        status: 'active',
        created_at: now,
      })
      .execute();
  }

  const existingRoom = await db.kysely.selectFrom('rooms').select('id').where('name', '=', room.name).executeTakeFirst();
  const roomValues = {
    nvr_host: room.nvrHost,
    nvr_http_port: room.nvrHttpPort,
    nvr_rtsp_port: room.nvrRtspPort,
    nvr_username: room.username,
    nvr_password_enc: secrets.encrypt(room.password),
    pc_ip: room.pcIp,
    updated_at: now,
  };
  if (existingRoom) {
    // The simulator picks its ports at each demo start, so the demo room follows them.
    await db.kysely.updateTable('rooms').set(roomValues).where('id', '=', existingRoom.id).execute();
  } else {
    await db.kysely
      .insertInto('rooms')
      .values({ ...roomValues, name: room.name, sort_order: 1, area: '刑检办案区', vendor: 'dahua', device_type: '硬盘录像机', channel: 1, utc_offset_minutes: 480, enabled: 1, created_at: now })
      .execute();
  }

  const handler = await db.kysely.selectFrom('users').select('id').where('username', '=', 'zhangming').executeTakeFirstOrThrow();
  const other = await db.kysely.selectFrom('users').select('id').where('username', '=', 'lihua').executeTakeFirstOrThrow();
  const cases = [
    { name: '王某某盗窃案', number: '昆检刑诉受[2026]320583000101号', handlerId: handler.id, suspects: [['王某某', withCheckDigit('32058319900307121')]] },
    {
      name: '赵某某、钱某某危险驾驶案',
      number: '昆检刑诉受[2026]320583000102号',
      handlerId: handler.id,
      suspects: [
        ['赵某某', withCheckDigit('32058319851112403')],
        ['钱某某', withCheckDigit('32058319920520302')],
      ],
    },
    { name: '孙某某诈骗案', number: '昆检刑诉受[2026]320583000103号', handlerId: other.id, suspects: [['孙某某', withCheckDigit('32058319780915551')]] },
  ];
  for (const sample of cases) {
    const exists = await db.kysely.selectFrom('cases').select('id').where('case_number', '=', sample.number).executeTakeFirst();
    if (exists) continue;
    const inserted = await db.kysely
      .insertInto('cases')
      .values({
        name: sample.name,
        case_number: sample.number,
        unified_number: null,
        category: '刑事案件',
        stage: '在办',
        accepted_on: today,
        department_id: null,
        handler_id: sample.handlerId,
        source: 'unified',
        created_at: now,
        updated_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    for (const [name, idNumber] of sample.suspects) {
      await db.kysely
        .insertInto('suspects')
        .values({ case_id: inserted.id, name: name as string, id_type_code: '111', id_type_name: '居民身份证', id_number: idNumber as string, created_at: now })
        .execute();
    }
  }
}
