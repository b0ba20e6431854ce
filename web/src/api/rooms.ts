import { request } from './client';

export type Vendor = 'dahua' | 'hikvision' | 'rtsp';

export interface Room {
  id: number;
  name: string;
  sortOrder: number;
  area: string | null;
  vendor: Vendor;
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

export interface RoomInput {
  name: string;
  sortOrder: number;
  area: string | null;
  vendor: Vendor;
  nvrHost: string;
  nvrHttpPort: number;
  nvrRtspPort: number;
  username: string;
  /** Password, required on create and on /api/rooms/test. On update an empty value keeps the stored one. */
  password: string;
  deviceType: string;
  channel: number;
  pcIp: string;
}

export interface ConnectionTestResult {
  ok: boolean;
  reachable: boolean;
  authenticated: boolean;
  deviceTime: string | null;
  clockOffsetMs: number | null;
  /** A Chinese sentence for the user, e.g. 连接正常，设备时间与服务器相差 0.3 秒 */
  message: string;
}

export function listRooms(): Promise<Room[]> {
  return request('/api/rooms');
}

export function createRoom(input: RoomInput): Promise<Room> {
  return request('/api/rooms', { method: 'POST', body: input });
}

export function updateRoom(id: number, input: RoomInput): Promise<Room> {
  return request(`/api/rooms/${id}`, { method: 'PUT', body: input });
}

export function setRoomEnabled(id: number, enabled: boolean): Promise<Room> {
  return request(`/api/rooms/${id}/enabled`, { method: 'POST', body: { enabled } });
}

// The NVR login and clock read can take a while on a slow network, hence the longer timeout.
const connectionTestTimeoutMs = 60_000;

export function testRoom(id: number): Promise<ConnectionTestResult> {
  return request(`/api/rooms/${id}/test`, { method: 'POST', timeoutMs: connectionTestTimeoutMs });
}

export function testRoomForm(input: RoomInput): Promise<ConnectionTestResult> {
  return request('/api/rooms/test', { method: 'POST', body: input, timeoutMs: connectionTestTimeoutMs });
}
