/**
 * Minimal MPEG-TS (ISO/IEC 13818-1) reader that finds where each video access unit starts.
 *
 * The segment store uses it to map wall-clock times to byte offsets, so a clip can start exactly at
 * the keyframe before the requested time. With ffmpeg's input seeking, a stream copy starts at the
 * first keyframe after wherever the seek lands, which can be after the requested time.
 */
export const TS_PACKET_SIZE = 188;
const SYNC_BYTE = 0x47;

/** PTS values are 33-bit counters of a 90 kHz clock. */
export const PTS_MODULUS = 2 ** 33;
export const PTS_HZ = 90_000;

export const STREAM_TYPE_H264 = 0x1b;
export const STREAM_TYPE_HEVC = 0x24;

export interface VideoFrameStart {
  /** Byte offset of the TS packet that starts this frame's PES packet. */
  offset: number;
  pts: number;
  isKeyframe: boolean;
}

export interface TsScanResult {
  videoPid: number | null;
  /** PMT stream_type of the video: 0x1b for H.264, 0x24 for H.265. */
  videoStreamType: number | null;
  /** Byte offset of the first video packet. The bytes before it are the SDT/PAT/PMT tables. */
  firstVideoOffset: number;
  frames: VideoFrameStart[];
}

/** Scans a whole TS buffer. Packets before the first sync byte and a trailing partial packet are skipped. */
export function scanTransportStream(buffer: Buffer): TsScanResult {
  const result: TsScanResult = { videoPid: null, videoStreamType: null, firstVideoOffset: 0, frames: [] };
  let pmtPid: number | null = null;

  const start = buffer.indexOf(SYNC_BYTE);
  if (start < 0) {
    return result;
  }

  for (let offset = start; offset + TS_PACKET_SIZE <= buffer.length; offset += TS_PACKET_SIZE) {
    if (buffer[offset] !== SYNC_BYTE) {
      continue;
    }
    const packet = buffer.subarray(offset, offset + TS_PACKET_SIZE);
    const pid = ((packet[1]! & 0x1f) << 8) | packet[2]!;
    const isPayloadStart = (packet[1]! & 0x40) !== 0;
    const payloadStart = payloadOffset(packet);
    if (payloadStart === null) {
      continue;
    }

    if (pid === 0 && isPayloadStart && pmtPid === null) {
      pmtPid = readPmtPidFromPat(packet, payloadStart);
      continue;
    }
    if (pid === pmtPid && isPayloadStart && result.videoPid === null) {
      const video = readVideoStreamFromPmt(packet, payloadStart);
      result.videoPid = video?.pid ?? null;
      result.videoStreamType = video?.streamType ?? null;
      continue;
    }
    if (pid !== result.videoPid || !isPayloadStart) {
      continue;
    }

    const pts = readPesPts(packet, payloadStart);
    if (pts === null) {
      continue;
    }
    if (result.frames.length === 0) {
      result.firstVideoOffset = offset - start;
    }
    result.frames.push({
      offset: offset - start,
      pts,
      isKeyframe:
        hasRandomAccessIndicator(packet) ||
        (result.videoStreamType === STREAM_TYPE_H264 && containsH264IdrOrSps(packet, payloadStart)),
    });
  }

  return result;
}

/** Returns `later - earlier` in 90 kHz ticks, assuming they are less than half a wrap apart. */
export function ptsDifference(later: number, earlier: number): number {
  let difference = (later - earlier) % PTS_MODULUS;
  if (difference > PTS_MODULUS / 2) {
    difference -= PTS_MODULUS;
  } else if (difference < -PTS_MODULUS / 2) {
    difference += PTS_MODULUS;
  }
  return difference;
}

function payloadOffset(packet: Buffer): number | null {
  const adaptationFieldControl = (packet[3]! >> 4) & 0x3;
  if (adaptationFieldControl === 0 || adaptationFieldControl === 2) {
    return null;
  }
  if (adaptationFieldControl === 1) {
    return 4;
  }
  const offset = 5 + packet[4]!;
  return offset < TS_PACKET_SIZE ? offset : null;
}

function hasRandomAccessIndicator(packet: Buffer): boolean {
  const hasAdaptationField = (packet[3]! & 0x20) !== 0;
  return hasAdaptationField && packet[4]! > 0 && (packet[5]! & 0x40) !== 0;
}

function readPmtPidFromPat(packet: Buffer, payloadStart: number): number | null {
  const section = payloadStart + 1 + packet[payloadStart]!;
  if (section + 8 > TS_PACKET_SIZE || packet[section] !== 0x00) {
    return null;
  }
  const sectionLength = ((packet[section + 1]! & 0x0f) << 8) | packet[section + 2]!;
  const end = Math.min(section + 3 + sectionLength - 4, TS_PACKET_SIZE);
  for (let entry = section + 8; entry + 4 <= end; entry += 4) {
    const programNumber = (packet[entry]! << 8) | packet[entry + 1]!;
    if (programNumber !== 0) {
      return ((packet[entry + 2]! & 0x1f) << 8) | packet[entry + 3]!;
    }
  }
  return null;
}

function readVideoStreamFromPmt(packet: Buffer, payloadStart: number): { pid: number; streamType: number } | null {
  const section = payloadStart + 1 + packet[payloadStart]!;
  if (section + 12 > TS_PACKET_SIZE || packet[section] !== 0x02) {
    return null;
  }
  const sectionLength = ((packet[section + 1]! & 0x0f) << 8) | packet[section + 2]!;
  const programInfoLength = ((packet[section + 10]! & 0x0f) << 8) | packet[section + 11]!;
  const end = Math.min(section + 3 + sectionLength - 4, TS_PACKET_SIZE);
  let entry = section + 12 + programInfoLength;
  while (entry + 5 <= end) {
    const streamType = packet[entry]!;
    const elementaryPid = ((packet[entry + 1]! & 0x1f) << 8) | packet[entry + 2]!;
    const esInfoLength = ((packet[entry + 3]! & 0x0f) << 8) | packet[entry + 4]!;
    if (streamType === STREAM_TYPE_H264 || streamType === STREAM_TYPE_HEVC) {
      return { pid: elementaryPid, streamType };
    }
    entry += 5 + esInfoLength;
  }
  return null;
}

function readPesPts(packet: Buffer, payloadStart: number): number | null {
  const pes = payloadStart;
  if (pes + 14 > TS_PACKET_SIZE) {
    return null;
  }
  if (packet[pes] !== 0 || packet[pes + 1] !== 0 || packet[pes + 2] !== 1) {
    return null;
  }
  const hasPts = (packet[pes + 7]! & 0x80) !== 0;
  if (!hasPts) {
    return null;
  }
  const b = pes + 9;
  // 33 bits spread over 5 bytes with marker bits. Multiplication avoids shifting past 32 bits.
  const high = (packet[b]! >> 1) & 0x07;
  const middle = (packet[b + 1]! << 7) | (packet[b + 2]! >> 1);
  const low = (packet[b + 3]! << 7) | (packet[b + 4]! >> 1);
  return high * 2 ** 30 + middle * 2 ** 15 + low;
}

/** Looks for an H.264 IDR slice (type 5) or SPS (type 7) in the first packet of the PES payload. */
function containsH264IdrOrSps(packet: Buffer, payloadStart: number): boolean {
  const headerDataLength = packet[payloadStart + 8] ?? 0;
  const dataStart = payloadStart + 9 + headerDataLength;
  for (let index = dataStart; index + 3 < TS_PACKET_SIZE; index += 1) {
    if (packet[index] === 0 && packet[index + 1] === 0 && packet[index + 2] === 1) {
      const nalType = packet[index + 3]! & 0x1f;
      if (nalType === 5 || nalType === 7) {
        return true;
      }
    }
  }
  return false;
}
