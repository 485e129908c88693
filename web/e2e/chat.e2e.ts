// End to end in real Chromium against a real Parley with the built web apps
// embedded: open talk on mobile and desktop, an offline send, the app-WebView
// entry with the stub bridge, and the game-chat iframe.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { repoRoot, startServer, type ParleyServer } from "../packages/core/server-test/harness.ts";
import { launchChromium, screenshots } from "./browser.ts";
import { assertion, privateRoom, rest, signIn } from "./parley.ts";

let server: ParleyServer;
let browser: Browser;
let alice: string;
let bob: string;

beforeAll(async () => {
  if (!existsSync(join(repoRoot, "internal/webui/dist/opentalk/index.html"))) {
    throw new Error("web apps not built: run `npm run build` in web/ first (make build-web)");
  }
  server = await startServer();
  browser = await launchChromium();
  alice = await server.token("opentalk", "alice", "Alice");
  bob = await server.token("opentalk", "bob", "Bob");
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

interface Room {
  id: string;
  title: string;
}

async function openTalkRoom(title: string, tags: string[] = ["e2e"]): Promise<Room> {
  const room = await rest<Room>(server, alice, "POST", "opentalk/rooms", { title, topic: "end-to-end", tags });
  await rest(server, bob, "POST", `opentalk/rooms/${room.id}/join`);
  return room;
}

async function userPage(token: string, viewport: { width: number; height: number }, path: string): Promise<Page> {
  const ctx = await browser.newContext({ viewport, locale: "en-US" });
  await signIn(ctx, server, token);
  const page = await ctx.newPage();
  page.on("pageerror", (e) => console.error("page error:", e.message));
  await page.goto(`${server.url}${path}`);
  return page;
}

async function send(page: Page, text: string): Promise<void> {
  const box = page.getByRole("textbox", { name: "Message" });
  await box.fill(text);
  await box.press("Enter");
}

function log(page: Page) {
  return page.getByRole("log");
}

describe.each([
  { name: "mobile", width: 390, height: 844 },
  { name: "desktop", width: 1280, height: 800 },
])("open talk on $name ($width x $height)", (vp) => {
  it("two users chat in real time", async () => {
    const room = await openTalkRoom(`Chat ${vp.name}`);
    const a = await userPage(alice, vp, `/t/opentalk/r/${room.id}`);
    const b = await userPage(bob, vp, `/t/opentalk/r/${room.id}`);
    await expectVisible(a, room.title);
    await send(a, `hello from alice on ${vp.name}`);
    await log(b).getByText(`hello from alice on ${vp.name}`).waitFor();
    await send(b, "hi alice! <b>not bold</b>");
    await log(a).getByText("hi alice! <b>not bold</b>").waitFor();
    expect(await a.locator(".parley-text b").count()).toBe(0); // text, never HTML
    await a.screenshot({ path: join(screenshots, `opentalk-room-${vp.name}.png`) });

    // The room list shows the room with its counts.
    await a.goto(`${server.url}/t/opentalk/`);
    await a.getByRole("link", { name: new RegExp(room.title) }).waitFor();
    await a.getByText(/2 members/).first().waitFor();
    await a.screenshot({ path: join(screenshots, `opentalk-rooms-${vp.name}.png`) });
    await a.context().close();
    await b.context().close();
  });
});

describe("open talk offline", () => {
  it("a message sent while offline arrives once", async () => {
    const vp = { width: 390, height: 844 };
    const room = await openTalkRoom("Offline");
    const a = await userPage(alice, vp, `/t/opentalk/r/${room.id}`);
    const b = await userPage(bob, vp, `/t/opentalk/r/${room.id}`);
    await send(b, "online first");
    await log(a).getByText("online first").waitFor();

    await b.context().setOffline(true);
    await b.getByRole("status").filter({ hasText: /offline|Reconnecting/i }).first().waitFor();
    await send(b, "sent while offline");
    await log(b).getByText("Sending…").waitFor();
    await b.screenshot({ path: join(screenshots, "opentalk-offline.png") });
    await b.context().setOffline(false);

    await log(a).getByText("sent while offline").waitFor({ timeout: 20_000 });
    await log(b).getByText("Sending…").waitFor({ state: "detached", timeout: 20_000 });
    expect(await log(a).getByText("sent while offline").count()).toBe(1);
    const history = await rest<{ messages: { text?: string }[] }>(server, alice, "GET", `opentalk/rooms/${room.id}/messages?limit=100`);
    expect(history.messages.filter((m) => m.text === "sent while offline")).toHaveLength(1);
    await a.context().close();
    await b.context().close();
  });
});

describe("open talk app-WebView entry", () => {
  it("runs with the stub bridge and hides the native chrome", async () => {
    const room = await openTalkRoom("WebView");
    const other = await openTalkRoom("Pushed");
    const page = await userPage(alice, { width: 390, height: 844 }, `/t/opentalk/webview/r/${room.id}`);
    await expectVisible(page, room.title);
    expect(await page.locator(".ot-topbar").count()).toBe(0);
    expect(await page.getByRole("button", { name: "Back to rooms" }).count()).toBe(0);
    await page.getByRole("button", { name: "Share" }).click();
    const calls = await page.evaluate(() => (window as unknown as { __parleyBridgeLog: { type: string }[] }).__parleyBridgeLog);
    expect(calls.map((c) => c.type)).toEqual(["ready", "share"]);
    expect(calls[1]).toMatchObject({ room: room.id, title: room.title });

    // The app opens a push notification: the web view follows.
    await page.evaluate((id) => (window as unknown as { parleyBridge: { receive(s: string): void } }).parleyBridge.receive(JSON.stringify({ type: "pushOpen", room: id })), other.id);
    await page.waitForURL(`**/t/opentalk/webview/r/${other.id}`);
    await expectVisible(page, other.title);
    await page.screenshot({ path: join(screenshots, "opentalk-webview.png") });
    await page.context().close();
  });
});

describe("game chat iframe", () => {
  /** A game page on an allowed origin (localhost vs the iframe's 127.0.0.1:
   * cross-origin, as in production) that records what the iframe posts. */
  async function gamePage(room: string, parentHost = "localhost", beforeLoad?: (page: Page) => void): Promise<Page> {
    const port = new URL(server.url).port;
    const parentOrigin = `http://${parentHost}:${port}`;
    const ctx = await browser.newContext({ viewport: { width: 640, height: 480 }, locale: "ko-KR" });
    const page = await ctx.newPage();
    await page.route(`${parentOrigin}/e2e/game.html`, (r) =>
      r.fulfill({
        contentType: "text/html",
        body: `<!doctype html><title>game</title><h1>RPS</h1>
<iframe id="chat" title="game chat" width="320" height="240" src="${server.url}/t/rps/embed/${room}"></iframe>
<script>
window.events = [];
addEventListener("message", (e) => {
  if (e.origin !== ${JSON.stringify(server.url)}) return;
  window.events.push(e.data);
});
window.sendAssertion = (a) => document.getElementById("chat").contentWindow.postMessage({type: "parley:assertion", assertion: a}, ${JSON.stringify(server.url)});
</script>`,
      }),
    );
    beforeLoad?.(page);
    await page.goto(`${parentOrigin}/e2e/game.html`);
    return page;
  }

  const events = (page: Page) => page.evaluate(() => (window as unknown as { events: { type: string; code?: string; count?: number; text?: string }[] }).events);

  async function waitEvent(page: Page, type: string, timeout = 15_000): Promise<void> {
    await page.waitForFunction((t) => (window as unknown as { events: { type: string }[] }).events.some((e) => e.type === t), type, { timeout });
  }

  it("works with a valid assertion", async () => {
    const room = `game-${Date.now()}`;
    await privateRoom(server, room, "RPS e2e");
    const page = await gamePage(room);
    await waitEvent(page, "parley:ready");
    await page.evaluate((a) => (window as unknown as { sendAssertion(a: string): void }).sendAssertion(a), assertion(room, "p1", "Player1"));
    const chat = page.frameLocator("#chat");
    await chat.getByText(/접속 중/).waitFor({ timeout: 15_000 });
    await chat.getByRole("textbox").fill("gg");
    await chat.getByRole("textbox").press("Enter");
    await chat.getByRole("log").getByText("gg").waitFor();

    // Another player (through the REST API with their own assertion) talks: the page hears of it.
    const other = await fetch(`${server.url}/api/v1/t/rps/auth/assertion`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ assertion: assertion(room, "p2", "Player2"), room }),
    }).then((r) => r.json() as Promise<{ token: string }>);
    await rest(server, other.token, "POST", `rps/rooms/${room}/messages`, { text: "nice move", cmid: "p2-1" });
    await chat.getByRole("log").getByText("nice move").waitFor();
    await waitEvent(page, "parley:message");
    const msg = (await events(page)).find((e) => e.type === "parley:message");
    expect(msg).toMatchObject({ text: "nice move" });
    await page.locator("#chat").screenshot({ path: join(screenshots, "gamechat-320x240.png") });
    await page.context().close();
  });

  it("refuses a forged assertion", async () => {
    const room = `game-forged-${Date.now()}`;
    await privateRoom(server, room, "RPS forged");
    const page = await gamePage(room);
    await waitEvent(page, "parley:ready");
    const forged = assertion(room, "p1", "Player1", "not-the-secret-not-the-secret-not-the-secret");
    await page.evaluate((a) => (window as unknown as { sendAssertion(a: string): void }).sendAssertion(a), forged);
    await waitEvent(page, "parley:error");
    const err = (await events(page)).find((e) => e.type === "parley:error");
    expect(err?.code).toMatch(/unauthenticated|forbidden/);
    const chat = page.frameLocator("#chat");
    await chat.getByText(/인증 거부/).waitFor();
    expect(await chat.getByRole("textbox").isDisabled()).toBe(true);
    await page.context().close();
  });

  it("cannot be framed by a foreign origin", async () => {
    const room = `game-foreign-${Date.now()}`;
    await privateRoom(server, room, "RPS foreign");
    // frame-ancestors blocks the page: Chromium reports the refusal, and the
    // chat never loads.
    let refused: Promise<unknown> = Promise.resolve();
    const page = await gamePage(room, "127.0.0.2", (p) => {
      refused = p.waitForEvent("console", { predicate: (m) => m.text().includes("frame-ancestors"), timeout: 15_000 });
    });
    await refused;
    expect(await events(page)).not.toContainEqual(expect.objectContaining({ type: "parley:ready" }));
    const embedded = page.frames().find((f) => f.url().includes("/t/rps/embed/"));
    expect(embedded ? await embedded.locator("#chat").count() : 0).toBe(0);
    await page.context().close();
  });
});

async function expectVisible(page: Page, text: string): Promise<void> {
  await page.getByRole("heading", { name: text }).waitFor({ timeout: 15_000 });
}
