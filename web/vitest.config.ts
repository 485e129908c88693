import { defineConfig } from "vitest/config";

// `npm test` runs the unit projects (core, react); `npm run test:server`
// runs the "server" project, which drives a real Parley binary (see
// packages/core/server-test).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "core",
          include: ["packages/core/src/**/*.test.ts"],
          environment: "node",
        },
      },
      {
        test: {
          name: "react",
          include: ["packages/react/src/**/*.test.{ts,tsx}", "apps/*/src/**/*.test.{ts,tsx}"],
          environment: "jsdom",
        },
      },
      {
        test: {
          name: "server",
          include: ["packages/core/server-test/**/*.test.ts"],
          environment: "node",
          testTimeout: 60_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
