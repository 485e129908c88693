import { defineConfig } from "vitest/config";

// Browser end-to-end tests: `npm run e2e` (after `npm run build`). They start
// a real Parley (built from this checkout, with the web apps embedded) and
// drive Debian's Chromium through playwright-core.
export default defineConfig({
  test: {
    include: ["e2e/**/*.e2e.ts"],
    environment: "node",
    testTimeout: 90_000,
    hookTimeout: 240_000,
    fileParallelism: false,
  },
});
