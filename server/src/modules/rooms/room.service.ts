import type { SecretBox } from '../../adapters/crypto/secret-box.js';
import type { NvrAdapter, NvrConnection, NvrTestResult, NvrVendor } from '../../adapters/nvr/nvr.types.js';
import type { RoomRow } from '../../db/schema.js';
import { AppError, invalid } from '../../lib/errors.js';
import { isHostName, isIpAddress, normalizeIp } from '../../lib/ip.js';
import { nowIso } from '../../lib/time.js';
import { hasUnsafeCharacters } from '../../lib/text.js';
import type { RoomRepository } from './room.repository.js';

export const nvrVendors: readonly NvrVendor[] = ['dahua', 'hikvision', 'rtsp'];

export interface RoomInput {
  name: string;
  sortOrder: number;
  area?: string | null;
  vendor: NvrVendor;
  nvrHost: string;
  nvrHttpPort: number;
  nvrRtspPort: number;
  username: string;
  /** Required for a new room; empty or absent on update keeps the stored one. */
  password?: string;
  deviceType: string;
  channel: number;
  pcIp: string;
}

export interface RoomView {
  id: number;
  name: string;
  sortOrder: number;
  area: string | null;
  vendor: string;
  nvrHost: string;
  nvrHttpPort: number;
  nvrRtspPort: number;
  username: string;
  hasPassword: boolean;
  deviceType: string;
  channel: number;
  pcIp: string;
  enabled: boolean;
  busy: boolean;
}

function toView(row: RoomRow, busy: boolean): RoomView {
  return {
    id: row.id,
    name: row.name,
    sortOrder: row.sort_order,
    area: row.area,
    vendor: row.vendor,
    nvrHost: row.nvr_host,
    nvrHttpPort: row.nvr_http_port,
    nvrRtspPort: row.nvr_rtsp_port,
    username: row.nvr_username,
    hasPassword: row.nvr_password_enc.length > 0,
    deviceType: row.device_type,
    channel: row.channel,
    pcIp: row.pc_ip,
    enabled: row.enabled === 1,
    busy,
  };
}

/** Rooms and their NVRs: validation, encrypted passwords, connection tests, room PC lookup. */
export class RoomService {
  constructor(
    private readonly rooms: RoomRepository,
    private readonly secrets: SecretBox,
    private readonly adapterFor: (vendor: NvrVendor) => NvrAdapter,
  ) {}

  async list(): Promise<RoomView[]> {
    const rows = await this.rooms.list();
    return rows.map((row) => toView(row, row.busy > 0));
  }

  async get(roomId: number): Promise<RoomRow> {
    const row = await this.rooms.findById(roomId);
    if (!row) throw new AppError('ROOM_NOT_FOUND');
    return row;
  }

  async view(roomId: number): Promise<RoomView> {
    const views = await this.list();
    const view = views.find((room) => room.id === roomId);
    if (!view) throw new AppError('ROOM_NOT_FOUND');
    return view;
  }

  /** Finds the enabled room whose 房间IP is the caller's address, which makes the caller that room's PC. */
  async findConsoleRoom(clientIp: string): Promise<RoomRow | null> {
    const row = await this.rooms.findByPcIp(normalizeIp(clientIp));
    return row && row.enabled === 1 ? row : null;
  }

  async create(input: RoomInput): Promise<number> {
    const values = await this.validate(input, null);
    if (!input.password) throw invalid('请填写登录密码。');
    const now = nowIso();
    return this.rooms.insert({ ...values, nvr_password_enc: this.secrets.encrypt(input.password), enabled: 1, created_at: now, updated_at: now });
  }

  async update(roomId: number, input: RoomInput): Promise<void> {
    await this.get(roomId);
    const values = await this.validate(input, roomId);
    const password = input.password ? { nvr_password_enc: this.secrets.encrypt(input.password) } : {};
    await this.rooms.update(roomId, { ...values, ...password, updated_at: nowIso() });
  }

  async setEnabled(roomId: number, isEnabled: boolean): Promise<void> {
    await this.get(roomId);
    const isBusy = (await this.rooms.list()).some((room) => room.id === roomId && room.busy > 0);
    if (!isEnabled && isBusy) throw new AppError('ROOM_BUSY', '该房间正在同录，请先结束办案再停用房间。');
    await this.rooms.update(roomId, { enabled: isEnabled ? 1 : 0, updated_at: nowIso() });
  }

  /** Builds the adapter's connection with the decrypted password; it never leaves the server. */
  connectionOf(row: RoomRow): NvrConnection {
    return {
      vendor: row.vendor as NvrVendor,
      host: row.nvr_host,
      httpPort: row.nvr_http_port,
      rtspPort: row.nvr_rtsp_port,
      username: row.nvr_username,
      password: this.secrets.decrypt(row.nvr_password_enc),
      channel: row.channel,
      utcOffsetMinutes: row.utc_offset_minutes,
    };
  }

  adapterOf(row: RoomRow): NvrAdapter {
    return this.adapterFor(row.vendor as NvrVendor);
  }

  async testSaved(roomId: number): Promise<NvrTestResult> {
    const row = await this.get(roomId);
    return this.adapterOf(row).testConnection(this.connectionOf(row));
  }

  async testUnsaved(input: RoomInput, roomId: number | null): Promise<NvrTestResult> {
    this.validateFields(input);
    let password = input.password ?? '';
    if (!password && roomId !== null) {
      const saved = await this.get(roomId);
      // The stored password goes only to the saved device, so a test against another host cannot reveal it.
      const isSavedDevice =
        saved.vendor === input.vendor &&
        saved.nvr_host === input.nvrHost.trim() &&
        saved.nvr_http_port === input.nvrHttpPort &&
        saved.nvr_rtsp_port === input.nvrRtspPort &&
        saved.nvr_username === input.username.trim();
      if (!isSavedDevice) throw invalid('修改了硬盘录像机地址、端口或登录账号后测试连接，请重新填写登录密码。');
      password = this.secrets.decrypt(saved.nvr_password_enc);
    }
    if (!password) throw invalid('请填写登录密码。');
    const connection: NvrConnection = {
      vendor: input.vendor,
      host: input.nvrHost.trim(),
      httpPort: input.nvrHttpPort,
      rtspPort: input.nvrRtspPort,
      username: input.username.trim(),
      password,
      channel: input.channel,
      utcOffsetMinutes: 480,
    };
    return this.adapterFor(input.vendor).testConnection(connection);
  }

  private validateFields(input: RoomInput): void {
    if (!input.name.trim()) throw invalid('请填写房间名。');
    if (hasUnsafeCharacters(input.name)) throw invalid('房间名中含有控制字符，请重新输入。');
    if (!nvrVendors.includes(input.vendor)) throw invalid('厂商无效，请选择大华、海康威视或通用RTSP。');
    if (!isHostName(input.nvrHost.trim())) throw invalid(`硬盘录像机IP“${input.nvrHost}”格式不正确，请填写如 192.168.0.2 的地址。`);
    if (!input.username.trim()) throw invalid('请填写登录账号。');
    if (!input.deviceType.trim()) throw invalid('请填写平台设备。');
    if (!isIpAddress(input.pcIp.trim())) throw invalid(`房间IP“${input.pcIp}”格式不正确，请填写办案电脑的 IP 地址，如 192.168.0.90。`);
  }

  private async validate(input: RoomInput, roomId: number | null) {
    this.validateFields(input);
    const pcIp = normalizeIp(input.pcIp.trim());
    const other = await this.rooms.findByPcIp(pcIp);
    if (other && other.id !== roomId) throw new AppError('ROOM_PC_IP_TAKEN', `房间IP ${pcIp} 已被房间“${other.name}”使用，每台办案电脑只能绑定一个房间。`);
    return {
      name: input.name.trim(),
      sort_order: input.sortOrder,
      area: input.area?.trim() || null,
      vendor: input.vendor,
      nvr_host: input.nvrHost.trim(),
      nvr_http_port: input.nvrHttpPort,
      nvr_rtsp_port: input.nvrRtspPort,
      nvr_username: input.username.trim(),
      device_type: input.deviceType.trim(),
      channel: input.channel,
      pc_ip: pcIp,
      utc_offset_minutes: 480,
    };
  }
}
