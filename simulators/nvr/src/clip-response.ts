import type { ServerResponse } from 'node:http';

import { streamClip } from './clip.js';
import type { SimulatorContext } from './context.js';
import { describeError, log } from './log.js';
import type { ClipPlan } from './segment-store.js';
import { createThrottle } from './throttle.js';

/**
 * Streams a clip as an `application/octet-stream` body without Content-Length (chunked), as NVRs
 * stream recordings, and without range support. `slowBytesPerSec` throttles it. With
 * `truncateAfterBytes` set, the socket is destroyed after that many bytes.
 */
export async function sendClip(
  context: SimulatorContext,
  response: ServerResponse,
  plan: ClipPlan,
): Promise<void> {
  const clip = streamClip(plan.ranges, context.config.ffmpegPath);
  const truncateAfterBytes = context.state().truncateAfterBytes;
  const body = clip.stream.pipe(createThrottle(() => context.state().slowBytesPerSec));

  response.on('close', () => {
    clip.cancel();
    body.destroy();
  });
  response.writeHead(200, { 'Content-Type': 'Application/octet-stream', 'Accept-Ranges': 'none' });

  let sentBytes = 0;
  try {
    for await (const chunk of body) {
      const data = chunk as Buffer;
      if (truncateAfterBytes !== null && sentBytes + data.length >= truncateAfterBytes) {
        const lastPart = data.subarray(0, truncateAfterBytes - sentBytes);
        sentBytes += lastPart.length;
        // Destroy only after the bytes reached the kernel, so the client gets exactly that many.
        response.write(lastPart, () => response.socket?.destroy());
        clip.cancel();
        log('info', 'Truncated a clip response as the truncateAfterBytes switch asks', { sentBytes });
        return;
      }
      sentBytes += data.length;
      if (!response.write(data)) {
        await waitForDrainOrClose(response);
      }
    }
    response.end();
  } catch (error) {
    if (!response.destroyed) {
      log('error', 'Clip stream failed mid-body, so the connection was dropped', { sentBytes, error: describeError(error) });
      response.destroy();
    }
  }
}

function waitForDrainOrClose(response: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      response.off('drain', done);
      response.off('close', done);
      resolve();
    };
    response.on('drain', done);
    response.on('close', done);
  });
}
