import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Integration tests start simulators and ffmpeg; running files one at a time keeps a 2-core machine responsive.
    fileParallelism: false,
  },
});
