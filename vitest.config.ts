import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Run by scripts/container-test.sh (vitest.container.config.ts), which builds the image first.
    exclude: ['test/container/**', '**/node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests open real sockets and start real processes; keep files in separate processes.
    pool: 'forks',
  },
});
