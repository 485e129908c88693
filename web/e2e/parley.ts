import { createHmac, randomBytes } from "node:crypto";
import type { BrowserContext } from "playwright-core";
import type { ParleyServer } from "../packages/core/server-test/harness.ts";

/** The demo rps tenant's public secrets (internal/demohost: demo only). */
export const DEMO_ASSERTION_SECRET = "rps-demo-assertion-secret-change-me-0123456789";
export const DEMO_RPS_API_KEY = "rps-demo-api-key";

/** rest calls the user API with a bearer token. */
export async function rest<T>(server: ParleyServer, token: string, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${server.url}/api/v1/t/${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body ? { "Content-Type": "application/json" } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** signIn gives a browser context the open-talk access cookie, as the
 * session exchange would (HttpOnly, loopback: not Secure). */
export async function signIn(ctx: BrowserContext, server: ParleyServer, token: string): Promise<void> {
  await ctx.addCookies([{ name: "parley_at_opentalk", value: token, url: server.url, httpOnly: true, sameSite: "Lax" }]);
}

/** assertion signs a game-chat assertion like the demo host's server does. */
export function assertion(room: string, user: string, name: string, secret = DEMO_ASSERTION_SECRET): string {
  const now = Math.floor(Date.now() / 1000);
  const payload = { tenant: "rps", sub: user, name, room, iat: now, exp: now + 120, nonce: randomBytes(12).toString("hex") };
  const p = Buffer.from(JSON.stringify(payload)).toString("base64url");
  const sig = createHmac("sha256", secret).update(p).digest("base64url");
  return `${p}.${sig}`;
}

/** privateRoom makes sure a game room exists, as the host's server would. */
export async function privateRoom(server: ParleyServer, room: string, title: string): Promise<void> {
  await rest(server, DEMO_RPS_API_KEY, "PUT", `rps/server/rooms/${room}`, { title });
}
