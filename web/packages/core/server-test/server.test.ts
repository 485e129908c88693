// The SDK against a real Parley server: the "server" project, run by
// `npm run test:server` (and `make test-web`); PARLEY_BIN may name a
// prebuilt binary, else ./cmd/parley is built.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { CloseCode, ConnectionState, ErrorCode, ParleyApi, ParleyClient, ParleyError, SendState, type SocketConstructor } from "../src/index.ts";
import { startServer, waitFor, type ParleyServer } from "./harness.ts";

/** A controllable network: the sockets made, and a switch that makes new ones fail. */
function network() {
  const sockets: WebSocket[] = [];
  const net = { down: false, sockets, Ctor: null as unknown as SocketConstructor };
  class Sock extends WebSocket {
    constructor(url: string) {
      super(net.down ? "ws://127.0.0.1:9/unreachable" : url);
      sockets.push(this);
    }
  }
  net.Ctor = Sock as unknown as SocketConstructor;
  return net;
}

describe("ParleyClient against a real server", () => {
  let server: ParleyServer;
  const clients: ParleyClient[] = [];

  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    clients.forEach((c) => c.close());
    await server?.stop();
  });

  async function user(id: string, opts: { ttl?: string; refresh?: boolean } = {}) {
    let token = await server.token("opentalk", id, id.toUpperCase(), opts.ttl);
    const net = network();
    const api = new ParleyApi({ tenant: "opentalk", baseUrl: server.url, getToken: () => token });
    const client = new ParleyClient({
      tenant: "opentalk",
      url: `${server.wsUrl}/ws/opentalk`,
      WebSocket: net.Ctor,
      api,
      network: null,
      getToken: () => token,
      backoff: { baseMs: 50, maxMs: 500 },
      ...(opts.refresh
        ? {
            refreshToken: async () => {
              token = await server.token("opentalk", id, id.toUpperCase(), "1h");
              return { token, expiresAt: Date.now() + 3600_000 };
            },
          }
        : {}),
    });
    clients.push(client);
    client.connect();
    await waitFor(() => client.connection === ConnectionState.Connected, `${id} connected`);
    return { client, api, net };
  }

  const texts = (c: ParleyClient, room: string) => c.room(room).getSnapshot().messages.filter((m) => m.kind === "text").map((m) => m.text);

  it("resumes after a forced disconnect with every message once, in order", async () => {
    const alice = await user("alice");
    const bob = await user("bob");
    const room = await alice.api.createRoom({ title: "Resume", tags: ["test"] });
    await bob.api.joinRoom(room.id);
    await alice.client.openRoom(room.id);
    await bob.client.openRoom(room.id);
    for (let i = 1; i <= 5; i++) alice.client.send(room.id, `m${i}`);
    await waitFor(() => texts(bob.client, room.id).length === 5, "bob has 5");

    // Cut bob's socket without a close handshake; alice keeps talking.
    bob.net.sockets.at(-1)!.terminate();
    for (let i = 6; i <= 10; i++) alice.client.send(room.id, `m${i}`);
    await waitFor(() => alice.client.room(room.id).getSnapshot().pending.length === 0, "alice's sends acked");
    await waitFor(() => texts(bob.client, room.id).length === 10, "bob resumed", 15_000);
    expect(texts(bob.client, room.id)).toEqual(["m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9", "m10"]);
    const seqs = bob.client.room(room.id).getSnapshot().messages.map((m) => m.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
  });

  it("delivers sends made while offline exactly once", async () => {
    const alice = await user("alice2");
    const bob = await user("bob2");
    const room = await alice.api.createRoom({ title: "Offline" });
    await bob.api.joinRoom(room.id);
    await alice.client.openRoom(room.id);
    await bob.client.openRoom(room.id);

    bob.net.down = true;
    bob.net.sockets.at(-1)!.terminate();
    await waitFor(() => bob.client.connection === ConnectionState.Reconnecting, "bob offline");
    bob.client.send(room.id, "while offline 1");
    bob.client.send(room.id, "while offline 2");
    expect(bob.client.room(room.id).getSnapshot().pending.map((p) => p.state)).toEqual([SendState.Sending, SendState.Sending]);
    bob.net.down = false;
    await waitFor(() => bob.client.room(room.id).getSnapshot().pending.length === 0, "bob's outbox drained", 15_000);
    await waitFor(() => texts(alice.client, room.id).length === 2, "alice got them");
    // Nothing more arrives later: each was stored once.
    const history = await alice.api.messages(room.id, { limit: 100 });
    expect(history.filter((m) => m.kind === "text").map((m) => m.text)).toEqual(["while offline 1", "while offline 2"]);
    expect(texts(bob.client, room.id)).toEqual(["while offline 1", "while offline 2"]);
  });

  it("resumes across a graceful server restart", async () => {
    const alice = await user("alice3");
    const room = await alice.api.createRoom({ title: "Restart" });
    await alice.client.openRoom(room.id);
    alice.client.send(room.id, "before");
    await waitFor(() => texts(alice.client, room.id).length === 1, "first message");
    await server.restart();
    await waitFor(() => alice.client.connection === ConnectionState.Connected && alice.client.room(room.id).getSnapshot().sync === "live", "back live", 20_000);
    alice.client.send(room.id, "after");
    await waitFor(() => texts(alice.client, room.id).length === 2, "second message");
    expect(texts(alice.client, room.id)).toEqual(["before", "after"]);
  });

  it("refreshes the token over the open socket before it expires", async () => {
    // The server warns 60 s before expiry; a 70 s token is warned at once.
    const carol = await user("carol", { ttl: "70s", refresh: true });
    const socketsBefore = carol.net.sockets.length;
    const refreshed = new Promise<{ expiresAt: number }>((ok) => carol.client.on("token-refreshed", ok));
    const got = await Promise.race([refreshed, new Promise<null>((r) => setTimeout(() => r(null), 20_000))]);
    expect(got).not.toBeNull();
    expect(got!.expiresAt).toBeGreaterThan(Date.now() + 30 * 60_000);
    expect(carol.client.connection).toBe(ConnectionState.Connected);
    expect(carol.net.sockets.length).toBe(socketsBefore); // same socket
  });

  it("reports the server's error codes", async () => {
    const dave = await user("dave");
    const room = await dave.api.createRoom({ title: "Errors" });
    await dave.client.openRoom(room.id);
    const cmid = dave.client.send(room.id, "x".repeat(1001)); // opentalk allows 1000
    await waitFor(() => dave.client.room(room.id).getSnapshot().pending[0]?.state === SendState.Failed, "send failed");
    expect(dave.client.room(room.id).getSnapshot().pending[0]).toMatchObject({ cmid, error: ErrorCode.MessageTooLong });

    await expect(dave.client.subscribe("no-such-room")).rejects.toMatchObject({ code: ErrorCode.NotFound });
    await expect(dave.api.messages("no-such-room")).rejects.toMatchObject({ code: ErrorCode.NotFound, status: 404 });
    const eve = await user("eve");
    await expect(eve.client.deleteMessage(room.id, 2)).rejects.toBeInstanceOf(ParleyError);
  });

  it("asks for sign-in instead of looping on a refused token", async () => {
    const net = network();
    const client = new ParleyClient({
      tenant: "opentalk",
      url: `${server.wsUrl}/ws/opentalk`,
      WebSocket: net.Ctor,
      network: null,
      api: new ParleyApi({ tenant: "opentalk", baseUrl: server.url }),
      getToken: () => "forged.token.value",
      backoff: { baseMs: 50, maxMs: 200 },
    });
    clients.push(client);
    const authNeeded = new Promise<{ code: number }>((ok) => client.on("auth-needed", ok));
    client.connect();
    const e = await authNeeded;
    expect(e.code).toBe(CloseCode.AuthFailed);
    expect(client.connection).toBe(ConnectionState.AuthNeeded);
    expect(net.sockets).toHaveLength(1);
  });

  it("refuses a token of another tenant", async () => {
    const token = await server.token("rps", "mallory", "M");
    const api = new ParleyApi({ tenant: "opentalk", baseUrl: server.url, getToken: () => token });
    await expect(api.me()).rejects.toMatchObject({ code: ErrorCode.WrongTenant, status: 403 });
  });
});
