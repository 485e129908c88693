import { resolve } from "node:path";
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// Relative base: the Go server (internal/webui) serves each page with a
// <base href="/t/{tenant}/">, so one build serves any tenant that uses it.
export default defineConfig({
  base: "./",
  plugins: [react()],
  build: {
    target: "es2022",
    sourcemap: false,
    rollupOptions: {
      input: {
        index: resolve(import.meta.dirname, "index.html"),
        webview: resolve(import.meta.dirname, "webview.html"),
      },
    },
  },
  server: {
    proxy: { "/api": "http://localhost:8080", "/ws": { target: "ws://localhost:8080", ws: true } },
  },
});
