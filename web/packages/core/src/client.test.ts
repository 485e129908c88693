import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ConnectionState, ParleyClient, type NetworkMonitor, type ParleyClientOptions } from "./client.ts";
import { ParleyApi } from "./api.ts";
import { CloseCode, ErrorCode } from "./codes.ts";
import { SendState } from "./room.ts";
import { fakeSockets, type FakeSocket } from "../test/fake-socket.ts";

const noFetch = (() => Promise.reject(new Error("no REST in this test"))) as unknown as typeof fetch;

function setup(extra: Partial<ParleyClientOptions> = {}) {
  const { WebSocket, sockets } = fakeSockets();
  let n = 0;
  const client = new ParleyClient({
    tenant: "opentalk",
    url: "ws://test/ws/opentalk",
    WebSocket,
    api: new ParleyApi({ tenant: "opentalk", fetch: noFetch }),
    network: null,
    newCmid: () => `cmid-${++n}`,
    backoff: { baseMs: 100, maxMs: 1000, random: () => 0.5 },
    ...extra,
  });
  const last = () => sockets[sockets.length - 1]!;
  return { client, sockets, last };
}

/** connectLive opens the latest socket, welcomes it and completes a subscribe to room r. */
function connectLive(s: FakeSocket, room = "r", lastSeq = 0, online = 1) {
  s.open();
  s.welcome("me", "Me");
  const sub = s.lastOf("subscribe");
  if (sub) s.push({ type: "subscribed", id: sub.id, room, lastSeq, online });
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("ParleyClient connection", () => {
  it("authenticates with a first-frame token and becomes connected", async () => {
    const { client, last } = setup({ getToken: () => "tok-1" });
    const states: string[] = [];
    client.on("state", (s) => states.push(s));
    client.connect();
    expect(client.connection).toBe(ConnectionState.Connecting);
    last().open();
    await vi.advanceTimersByTimeAsync(0);
    expect(last().sent[0]).toEqual({ type: "auth", token: "tok-1" });
    expect(last().url).not.toContain("tok-1"); // never in the URL
    last().welcome("me", "Me");
    expect(client.connection).toBe(ConnectionState.Connected);
    expect(client.state.getSnapshot().user).toEqual({ id: "me", name: "Me" });
    expect(states).toEqual(["connecting", "connected"]);
  });

  it("sends no auth frame in cookie mode", async () => {
    const { client, last } = setup();
    client.connect();
    last().open();
    await vi.advanceTimersByTimeAsync(0);
    expect(last().sent).toEqual([]);
  });

  it.each([CloseCode.AuthFailed, CloseCode.SessionRevoked, CloseCode.TokenExpired])(
    "stops and asks for sign-in on close code %i instead of looping",
    async (code) => {
      const { client, sockets, last } = setup();
      const authNeeded = vi.fn();
      client.on("auth-needed", authNeeded);
      client.connect();
      connectLive(last());
      last().serverClose(code, "nope");
      expect(client.connection).toBe(ConnectionState.AuthNeeded);
      expect(authNeeded).toHaveBeenCalledWith({ code, reason: "nope" });
      await vi.advanceTimersByTimeAsync(120_000);
      expect(sockets).toHaveLength(1);
    },
  );

  it("refreshes once on 4002 when it can, then reconnects", async () => {
    const refreshToken = vi.fn(async () => ({ token: "t2", expiresAt: Date.now() + 60_000 }));
    const { client, sockets, last } = setup({ refreshToken });
    client.connect();
    connectLive(last());
    last().serverClose(CloseCode.TokenExpired);
    await vi.advanceTimersByTimeAsync(0);
    expect(refreshToken).toHaveBeenCalledTimes(1);
    expect(sockets).toHaveLength(2);
    last().serverClose(CloseCode.TokenExpired); // still refused before any welcome
    await vi.advanceTimersByTimeAsync(0);
    expect(client.connection).toBe(ConnectionState.AuthNeeded);
    expect(refreshToken).toHaveBeenCalledTimes(1);
  });

  it("reconnects with growing jittered back-off and resets it after a welcome", async () => {
    const { client, sockets, last } = setup();
    client.connect();
    const opened: number[] = [];
    const t0 = Date.now();
    for (let i = 0; i < 4; i++) {
      last().serverClose(1006);
      const before = sockets.length;
      while (sockets.length === before) await vi.advanceTimersByTimeAsync(5);
      opened.push(Date.now() - t0);
    }
    const gaps = opened.map((t, i) => t - (i ? opened[i - 1]! : 0));
    expect(gaps[0]).toBeGreaterThanOrEqual(75); // 100 * 1 * 0.75
    expect(gaps[1]!).toBeGreaterThan(gaps[0]!);
    expect(gaps[2]!).toBeGreaterThan(gaps[1]!);
    expect(client.connection).toBe(ConnectionState.Reconnecting);
    connectLive(last());
    last().serverClose(CloseCode.SlowConsumer);
    const before = sockets.length;
    const t1 = Date.now();
    while (sockets.length === before) await vi.advanceTimersByTimeAsync(5);
    expect(Date.now() - t1).toBeLessThanOrEqual(80); // back to the first step
  });

  it.each([CloseCode.Reconnect, CloseCode.SlowConsumer, CloseCode.HeartbeatTimeout, 1006])(
    "resumes every subscribed room from its last seq after close code %i",
    async (code) => {
      const { client, sockets, last } = setup();
      client.connect();
      void client.subscribe("r");
      connectLive(last());
      last().push({ type: "message", room: "r", seq: 1, kind: "text", user: "bob", text: "a", at: 1 });
      last().push({ type: "message", room: "r", seq: 2, kind: "text", user: "bob", text: "b", at: 2 });
      last().serverClose(code);
      expect(client.connection).toBe(ConnectionState.Reconnecting);
      await vi.advanceTimersByTimeAsync(2000);
      expect(sockets).toHaveLength(2);
      last().open();
      last().welcome("me", "Me");
      const sub = last().lastOf("subscribe")!;
      expect(sub).toMatchObject({ room: "r", after: 2 });
      // Catch-up repeats a message the client has, then a new one.
      last().push({ type: "message", room: "r", seq: 2, kind: "text", user: "bob", text: "b", at: 2 });
      last().push({ type: "message", room: "r", seq: 3, kind: "text", user: "bob", text: "c", at: 3 });
      last().push({ type: "subscribed", id: sub.id, room: "r", lastSeq: 3, online: 2 });
      const s = client.room("r").getSnapshot();
      expect(s.messages.map((m) => m.seq)).toEqual([1, 2, 3]);
      expect(s.sync).toBe("live");
      expect(s.online).toBe(2);
    },
  );

  it("honours the server's reconnect frame delay", async () => {
    const { client, sockets, last } = setup();
    client.connect();
    connectLive(last());
    last().push({ type: "reconnect", reason: "shutdown", afterMs: 3000 });
    expect(last().closedWith).toBe(CloseCode.Reconnect);
    await vi.advanceTimersByTimeAsync(2999);
    expect(sockets).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1600);
    expect(sockets).toHaveLength(2);
  });

  it("answers pings and drops a silent socket", async () => {
    const { client, sockets, last } = setup();
    client.connect();
    last().open();
    last().welcome("me", "Me", 10);
    last().push({ type: "ping", id: "p1" });
    expect(last().lastOf("pong")).toEqual({ type: "pong", id: "p1" });
    await vi.advanceTimersByTimeAsync(12_001);
    expect(last().lastOf("ping")).toEqual({ type: "ping" }); // our own probe
    await vi.advanceTimersByTimeAsync(10_001);
    expect(client.connection).toBe(ConnectionState.Reconnecting);
    await vi.advanceTimersByTimeAsync(1000);
    expect(sockets).toHaveLength(2);
  });

  it("refreshes the token over the open socket on expiring", async () => {
    const refreshToken = vi.fn(async () => ({ token: "fresh", expiresAt: 99 }));
    const { client, last } = setup({ refreshToken });
    const refreshed = vi.fn();
    client.on("token-refreshed", refreshed);
    client.connect();
    connectLive(last());
    last().push({ type: "expiring", expiresAt: 50 });
    await vi.advanceTimersByTimeAsync(0);
    const f = last().lastOf("refresh")!;
    expect(f.token).toBe("fresh");
    last().push({ type: "reply", id: f.id, expiresAt: 123 });
    await vi.advanceTimersByTimeAsync(0);
    expect(refreshed).toHaveBeenCalledWith({ expiresAt: 123 });
    expect(client.state.getSnapshot().expiresAt).toBe(123);
  });

  it("goes offline with the network and reconnects when it returns", async () => {
    let online = true;
    const listeners = new Set<() => void>();
    const network: NetworkMonitor = { online: () => online, subscribe: (cb) => (listeners.add(cb), () => listeners.delete(cb)) };
    const { client, sockets, last } = setup({ network });
    client.connect();
    connectLive(last());
    online = false;
    listeners.forEach((l) => l());
    expect(client.connection).toBe(ConnectionState.Offline);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(sockets).toHaveLength(1);
    online = true;
    listeners.forEach((l) => l());
    expect(sockets).toHaveLength(2);
    expect(client.connection).toBe(ConnectionState.Reconnecting);
  });
});

describe("ParleyClient outbox", () => {
  it("keeps offline sends and delivers them after subscribing, with the same cmid until acked", async () => {
    const { client, sockets, last } = setup();
    void client.subscribe("r");
    const cmid = client.send("r", "hello");
    expect(client.room("r").getSnapshot().pending).toMatchObject([{ cmid, state: SendState.Sending }]);
    client.connect();
    last().open();
    last().welcome("me", "Me");
    expect(last().allOf("send")).toHaveLength(0); // not before catch-up ends
    const sub = last().lastOf("subscribe")!;
    last().push({ type: "subscribed", id: sub.id, room: "r", lastSeq: 0, online: 1 });
    expect(last().lastOf("send")).toMatchObject({ room: "r", text: "hello", cmid });
    // The connection dies before the ack.
    last().serverClose(1006);
    await vi.advanceTimersByTimeAsync(2000);
    expect(sockets).toHaveLength(2);
    connectLive(last());
    expect(last().lastOf("send")).toMatchObject({ cmid }); // same id: stored at most once
    last().push({ type: "ack", id: last().lastOf("send")!.id, room: "r", seq: 7, cmid, at: 5 });
    last().push({ type: "message", room: "r", seq: 7, kind: "text", user: "me", name: "Me", text: "hello", cmid, at: 5 });
    const s = client.room("r").getSnapshot();
    expect(s.pending).toEqual([]);
    expect(s.messages).toMatchObject([{ seq: 7, text: "hello", cmid }]);
  });

  it("drops a pending send that the resume catch-up shows was stored", async () => {
    const { client, last } = setup();
    client.connect();
    void client.subscribe("r");
    connectLive(last());
    const cmid = client.send("r", "x");
    last().serverClose(1006); // ack lost
    await vi.advanceTimersByTimeAsync(2000);
    last().open();
    last().welcome("me", "Me");
    const sub = last().lastOf("subscribe")!;
    last().push({ type: "message", room: "r", seq: 1, kind: "text", user: "me", text: "x", cmid, at: 1 });
    last().push({ type: "subscribed", id: sub.id, room: "r", lastSeq: 1, online: 1 });
    expect(last().allOf("send")).toHaveLength(0);
    expect(client.room("r").getSnapshot().pending).toEqual([]);
  });

  it("resends on ack timeout with the same cmid, then fails; retry() uses the same cmid", async () => {
    const { client, last } = setup({ ackTimeoutMs: 1000, maxSendAttempts: 2 });
    const failed = vi.fn();
    client.on("send-failed", failed);
    client.connect();
    void client.subscribe("r");
    connectLive(last());
    const cmid = client.send("r", "x");
    await vi.advanceTimersByTimeAsync(1001);
    expect(last().allOf("send").map((f) => f.cmid)).toEqual([cmid, cmid]);
    await vi.advanceTimersByTimeAsync(1001);
    expect(client.room("r").getSnapshot().pending[0]).toMatchObject({ state: SendState.Failed, error: ErrorCode.Unavailable });
    expect(failed).toHaveBeenCalledTimes(1);
    client.retry("r", cmid);
    expect(client.room("r").getSnapshot().pending[0]!.state).toBe(SendState.Sending);
    expect(last().allOf("send").map((f) => f.cmid)).toEqual([cmid, cmid, cmid]);
  });

  it("fails at once on a permanent error and retries a temporary one later", async () => {
    const { client, last } = setup();
    client.connect();
    void client.subscribe("r");
    connectLive(last());
    const bad = client.send("r", "way too long");
    last().push({ type: "error", id: `s:${bad}`, code: ErrorCode.MessageTooLong, message: "too long" });
    expect(client.room("r").getSnapshot().pending[0]).toMatchObject({ state: SendState.Failed, error: "message_too_long" });
    const slow = client.send("r", "ok");
    last().push({ type: "error", id: `s:${slow}`, code: ErrorCode.RateLimited, message: "slow down", temporary: true });
    expect(client.room("r").getSnapshot().pending[1]!.state).toBe(SendState.Sending);
    await vi.advanceTimersByTimeAsync(2500);
    expect(last().allOf("send").filter((f) => f.cmid === slow)).toHaveLength(2);
  });

  it("discard drops a failed message", () => {
    const { client } = setup();
    const cmid = client.send("r", "x");
    client.discard("r", cmid);
    expect(client.room("r").getSnapshot().pending).toEqual([]);
  });
});

describe("ParleyClient room state", () => {
  it("tracks presence and typing users, which expire", async () => {
    const { client, last } = setup({ typingTtlMs: 4000 });
    client.connect();
    void client.subscribe("r");
    connectLive(last());
    last().push({ type: "presence", room: "r", online: 5 });
    last().push({ type: "typing", room: "r", user: "bob", name: "Bob" });
    last().push({ type: "typing", room: "r", user: "me", name: "Me" }); // our own echo is ignored
    expect(client.room("r").getSnapshot().online).toBe(5);
    expect(client.room("r").getSnapshot().typing.map((t) => t.name)).toEqual(["Bob"]);
    await vi.advanceTimersByTimeAsync(4001);
    expect(client.room("r").getSnapshot().typing).toEqual([]);
  });

  it("throttles outgoing typing frames", async () => {
    const { client, last } = setup({ typingThrottleMs: 3000 });
    client.connect();
    connectLive(last());
    client.typing("r");
    client.typing("r");
    await vi.advanceTimersByTimeAsync(3000);
    client.typing("r");
    expect(last().allOf("typing")).toHaveLength(2);
  });

  it("loads the newest page, then subscribes after its last seq", async () => {
    const calls: string[] = [];
    const fetch = (async (url: string) => {
      calls.push(url);
      const messages = [3, 4, 5].map((seq) => ({ room: "r", seq, kind: "text", text: `m${seq}`, at: seq }));
      return new Response(JSON.stringify({ messages }), { status: 200 });
    }) as unknown as typeof globalThis.fetch;
    const { client, last } = setup({ api: new ParleyApi({ tenant: "opentalk", fetch }) });
    client.connect();
    last().open();
    last().welcome("me", "Me");
    const opened = client.openRoom("r", 3);
    await vi.advanceTimersByTimeAsync(0);
    const sub = last().lastOf("subscribe")!;
    expect(sub).toMatchObject({ room: "r", after: 5 });
    last().push({ type: "subscribed", id: sub.id, room: "r", lastSeq: 5, online: 1 });
    await opened;
    expect(calls[0]).toBe("/api/v1/t/opentalk/rooms/r/messages?limit=3");
    await client.loadOlder("r", 3);
    expect(calls[1]).toBe("/api/v1/t/opentalk/rooms/r/messages?before=3&limit=3");
  });

  it("rejects a request with the server's error code", async () => {
    const { client, last } = setup();
    client.connect();
    connectLive(last());
    const p = client.join("r");
    const f = last().lastOf("join")!;
    last().push({ type: "error", id: f.id, code: ErrorCode.RoomFull, message: "full" });
    await expect(p).rejects.toMatchObject({ code: "room_full", temporary: false });
  });
});
