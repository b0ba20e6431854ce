/**
 * Chinese messages of NvrError, in one place so every adapter words the same failure the same way.
 * They name the device by address and port only, never with the login name or password.
 */
import { NvrError } from './nvr.types.js';

export interface DeviceAddress {
  host: string;
  port: number;
}

function describeAddress(address: DeviceAddress): string {
  return `${address.host}:${address.port}`;
}

function seconds(ms: number): string {
  return String(Math.round(ms / 100) / 10);
}

export function offlineError(address: DeviceAddress, cause?: unknown): NvrError {
  return new NvrError(
    'NVR_OFFLINE',
    `无法连接硬盘录像机 ${describeAddress(address)}，请检查设备是否开机、网络是否连通、IP 和端口是否填写正确。`,
    { cause },
  );
}

export function connectTimeoutError(address: DeviceAddress, timeoutMs: number): NvrError {
  return new NvrError(
    'NVR_TIMEOUT',
    `连接硬盘录像机 ${describeAddress(address)} 超过 ${seconds(timeoutMs)} 秒没有成功，请检查设备是否开机、网络是否连通。`,
  );
}

export function responseTimeoutError(address: DeviceAddress, timeoutMs: number): NvrError {
  return new NvrError(
    'NVR_TIMEOUT',
    `硬盘录像机 ${describeAddress(address)} 超过 ${seconds(timeoutMs)} 秒没有应答，请稍后重试；如果一直如此，请检查设备是否过载。`,
  );
}

export function idleTimeoutError(address: DeviceAddress, timeoutMs: number, receivedBytes: number): NvrError {
  return new NvrError(
    'NVR_TIMEOUT',
    `从硬盘录像机 ${describeAddress(address)} 接收数据时停顿超过 ${seconds(timeoutMs)} 秒（已收到 ${receivedBytes} 字节），请检查网络后重试。`,
  );
}

export function authFailedError(): NvrError {
  return new NvrError('NVR_AUTH_FAILED', '硬盘录像机登录失败，请核对登录账号和登录密码。');
}

export function truncatedBodyError(
  address: DeviceAddress,
  receivedBytes: number,
  expectedBytes: number | null,
  cause?: unknown,
): NvrError {
  const expected = expectedBytes === null ? '' : `，应为 ${expectedBytes} 字节`;
  return new NvrError(
    'NVR_BAD_RESPONSE',
    `从硬盘录像机 ${describeAddress(address)} 接收数据时连接中断（已收到 ${receivedBytes} 字节${expected}），请稍后重试。`,
    { cause },
  );
}

export function badResponseError(address: DeviceAddress, detail: string, cause?: unknown): NvrError {
  return new NvrError(
    'NVR_BAD_RESPONSE',
    `硬盘录像机 ${describeAddress(address)} 返回了无法识别的应答（${detail}），请确认房间管理中的设备厂商选择正确。`,
    { cause },
  );
}

export function noRecordingError(fromText: string, toText: string): NvrError {
  return new NvrError(
    'NVR_NO_RECORDING',
    `硬盘录像机上没有 ${fromText} 至 ${toText}（设备时间）的录像，请核对通道号和时间段；录像可能已被设备循环覆盖。`,
  );
}
