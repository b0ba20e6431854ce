import type { FormItemRule } from 'element-plus';

import type { ConnectionTestResult, Room, RoomInput, Vendor } from '@/api/rooms';
import { t } from '@/locales';
import { isHostAddress, isIpv4Address, isPort } from '@/utils/network-address';

export type RoomForm = RoomInput;

export const vendorOptions: { value: Vendor; label: string }[] = [
  { value: 'dahua', label: t.rooms.vendorDahua },
  { value: 'hikvision', label: t.rooms.vendorHikvision },
  { value: 'rtsp', label: t.rooms.vendorRtsp },
];

export function getVendorLabel(vendor: Vendor): string {
  return vendorOptions.find((option) => option.value === vendor)?.label ?? vendor;
}

// Factory defaults of Dahua and Hikvision NVRs: HTTP on 80, RTSP on 554.
const defaultHttpPort = 80;
const defaultRtspPort = 554;

export function createEmptyForm(nextSortOrder: number): RoomForm {
  return {
    name: '',
    sortOrder: nextSortOrder,
    area: null,
    vendor: 'dahua',
    nvrHost: '',
    nvrHttpPort: defaultHttpPort,
    nvrRtspPort: defaultRtspPort,
    username: '',
    password: '',
    deviceType: t.rooms.deviceTypeDefault,
    channel: 1,
    pcIp: '',
  };
}

/** Copies a saved room into the form. The password stays empty because the server never sends it. */
export function toRoomForm(room: Room): RoomForm {
  return {
    name: room.name,
    sortOrder: room.sortOrder,
    area: room.area,
    vendor: room.vendor,
    nvrHost: room.nvrHost,
    nvrHttpPort: room.nvrHttpPort,
    nvrRtspPort: room.nvrRtspPort,
    username: room.username,
    password: '',
    deviceType: room.deviceType,
    channel: room.channel,
    pcIp: room.pcIp,
  };
}

export function toRoomInput(form: RoomForm): RoomInput {
  return {
    ...form,
    name: form.name.trim(),
    area: form.area?.trim() || null,
    nvrHost: form.nvrHost.trim(),
    username: form.username.trim(),
    deviceType: form.deviceType.trim(),
    pcIp: form.pcIp.trim(),
  };
}

const connectionFields = ['vendor', 'nvrHost', 'nvrHttpPort', 'nvrRtspPort', 'username', 'deviceType', 'channel'] as const;

/** Returns whether the form still has the saved room's connection settings, so the saved room can be tested. */
export function hasSavedConnection(form: RoomForm, room: Room): boolean {
  const saved = toRoomForm(room);
  return connectionFields.every((field) => String(form[field]).trim() === String(saved[field]).trim());
}

export type TestOutcome = 'success' | 'warning' | 'error';

// The server's own warning threshold for NVR clock drift.
const clockDriftLimitMs = 5000;

/**
 * Grades a connection test: error when the NVR is unreachable, warning when it responds but the login
 * failed or its clock drifts more than 5 s, success otherwise.
 */
export function gradeTestResult(result: ConnectionTestResult): TestOutcome {
  if (!result.reachable) return 'error';
  if (!result.ok || !result.authenticated) return 'warning';
  if (result.clockOffsetMs !== null && Math.abs(result.clockOffsetMs) > clockDriftLimitMs) return 'warning';
  return 'success';
}

function requireText(message: string): FormItemRule {
  return { required: true, whitespace: true, message, trigger: 'blur' };
}

function checkPort(_rule: unknown, value: number | null, callback: (error?: Error) => void): void {
  if (value === null || value === undefined || isPort(value)) callback();
  else callback(new Error(t.rooms.portInvalid));
}

export function createRoomRules(isEditing: boolean): Partial<Record<keyof RoomForm, FormItemRule[]>> {
  return {
    name: [requireText(t.rooms.nameRequired)],
    nvrHost: [
      requireText(t.rooms.nvrHostRequired),
      {
        validator: (_rule, value: string, callback) => {
          if (!value || isHostAddress(value)) callback();
          else callback(new Error(t.rooms.nvrHostInvalid));
        },
        trigger: 'blur',
      },
    ],
    nvrHttpPort: [{ validator: checkPort, trigger: 'blur' }],
    nvrRtspPort: [{ validator: checkPort, trigger: 'blur' }],
    username: [requireText(t.rooms.usernameRequired)],
    password: isEditing ? [] : [{ required: true, message: t.rooms.passwordRequired, trigger: 'blur' }],
    deviceType: [requireText(t.rooms.deviceTypeRequired)],
    channel: [{ required: true, type: 'number', message: t.rooms.channelRequired, trigger: 'blur' }],
    pcIp: [
      requireText(t.rooms.pcIpRequired),
      {
        validator: (_rule, value: string, callback) => {
          if (!value || isIpv4Address(value)) callback();
          else callback(new Error(t.rooms.pcIpInvalid));
        },
        trigger: 'blur',
      },
    ],
  };
}
