// Copies each app's Vite output into internal/webui/dist/<app>, where the Go
// binary embeds it (//go:embed all:dist). The committed placeholder stays.
import { cpSync, existsSync, readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const web = join(dirname(fileURLToPath(import.meta.url)), "..");
const target = join(web, "..", "internal", "webui", "dist");
for (const name of readdirSync(target)) {
  if (name !== ".placeholder") rmSync(join(target, name), { recursive: true, force: true });
}
for (const app of ["opentalk", "gamechat"]) {
  const from = join(web, "apps", app, "dist");
  if (!existsSync(from)) throw new Error(`${from} missing: build the app first`);
  cpSync(from, join(target, app), { recursive: true });
  console.log(`copied apps/${app}/dist -> internal/webui/dist/${app}`);
}
