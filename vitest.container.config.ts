import { defineConfig } from 'vitest/config';

/**
 * The container suite (test/container), run by scripts/container-test.sh once it has built the
 * image: one file at a time, since each runs containers and the CI machine has two cores.
 */
export default defineConfig({
  test: {
    include: ['test/container/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
