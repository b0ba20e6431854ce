import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['*/test/**/*.test.ts'],
    // Each test file starts a simulator with real ffmpeg and GStreamer children, and some tests pull
    // RTSP at real time, so single tests take tens of seconds.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // One file at a time keeps a 2-core machine responsive and the real-time RTSP checks on time.
    fileParallelism: false,
  },
});
