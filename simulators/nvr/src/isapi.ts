/**
 * The Hikvision ISAPI calls that the product uses: device time and device information.
 */
import type { ServerResponse } from 'node:http';

import { sendXml, type SimulatorContext } from './context.js';
import { formatIsapiTime } from './device-time.js';

const XML_NAMESPACE = 'http://www.hikvision.com/ver20/XMLSchema';

export function handleIsapiTime(context: SimulatorContext, response: ServerResponse): void {
  const clock = context.deviceClock();
  sendXml(
    response,
    200,
    [
      '<?xml version="1.0" encoding="UTF-8"?>',
      `<Time version="2.0" xmlns="${XML_NAMESPACE}">`,
      '<timeMode>manual</timeMode>',
      `<localTime>${formatIsapiTime(Date.now(), clock)}</localTime>`,
      `<timeZone>${formatPosixTimeZone(clock.utcOffsetMinutes)}</timeZone>`,
      '</Time>',
      '',
    ].join('\n'),
  );
}

export function handleIsapiDeviceInfo(context: SimulatorContext, response: ServerResponse): void {
  sendXml(
    response,
    200,
    [
      '<?xml version="1.0" encoding="UTF-8"?>',
      `<DeviceInfo version="2.0" xmlns="${XML_NAMESPACE}">`,
      '<deviceName>Tonglu NVR simulator</deviceName>',
      `<model>${context.deviceType}</model>`,
      `<serialNumber>${context.serialNumber}</serialNumber>`,
      '<deviceType>NVR</deviceType>',
      '</DeviceInfo>',
      '',
    ].join('\n'),
  );
}

/** Formats a UTC offset the way Hikvision does: POSIX TZ with the sign inverted, "CST-8:00:00" for UTC+8. */
function formatPosixTimeZone(utcOffsetMinutes: number): string {
  const sign = utcOffsetMinutes >= 0 ? '-' : '+';
  const absolute = Math.abs(utcOffsetMinutes);
  const minutes = String(absolute % 60).padStart(2, '0');
  return `CST${sign}${Math.floor(absolute / 60)}:${minutes}:00`;
}
