// Prints the initial JavaScript of each page, raw and gzipped: the scripts an
// HTML entry loads (its module script and modulepreloads), not lazy chunks.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const web = join(dirname(fileURLToPath(import.meta.url)), "..");
const pages = [
  ["gamechat", "index.html", 60 * 1024],
  ["opentalk", "index.html"],
  ["opentalk", "webview.html"],
];
let failed = false;
for (const [app, page, budget] of pages) {
  const dist = join(web, "apps", app, "dist");
  const html = readFileSync(join(dist, page), "utf8");
  const srcs = [...html.matchAll(/<(?:script[^>]*src|link[^>]*rel="modulepreload"[^>]*href)="\.?\/?([^"]+\.js)"/g)].map((m) => m[1]);
  let raw = 0;
  let gz = 0;
  for (const s of new Set(srcs)) {
    const buf = readFileSync(join(dist, s));
    raw += buf.length;
    gz += gzipSync(buf, { level: 9 }).length;
  }
  const kb = (n) => (n / 1024).toFixed(1);
  const over = budget !== undefined && gz > budget;
  failed ||= over;
  console.log(`${app}/${page}: initial JS ${kb(raw)} KiB, ${kb(gz)} KiB gzipped${budget ? ` (budget ${kb(budget)} KiB${over ? ": OVER" : ""})` : ""}`);
}
if (failed) process.exit(1);
