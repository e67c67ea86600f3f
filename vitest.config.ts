import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          sequence: { groupOrder: 0 },
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'sim',
          // many validators in one process under a virtual clock: CPU-bound, after the unit tests
          include: ['test/sim/**/*.test.ts'],
          sequence: { groupOrder: 1 },
          testTimeout: 300_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          // after the unit tests, so the two do not compete for the 2 cores
          sequence: { groupOrder: 2 },
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // real parsd processes: keep the 2-core machines from oversubscribing
          maxWorkers: 2,
          fileParallelism: true,
        },
      },
    ],
  },
})
