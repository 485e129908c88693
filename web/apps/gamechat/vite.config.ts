import { defineConfig } from "vite";

// Relative base: internal/webui serves the page at /t/{tenant}/embed/{room}
// with <base href="/t/{tenant}/embed/">. No React here: see README.md.
export default defineConfig({
  base: "./",
  build: { target: "es2022", sourcemap: false },
  server: {
    proxy: { "/api": "http://localhost:8080", "/ws": { target: "ws://localhost:8080", ws: true } },
  },
});
