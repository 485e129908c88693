import type { ClientFrame, ServerFrame } from "../src/protocol.ts";
import type { SocketConstructor, SocketLike } from "../src/client.ts";

/** FakeSocket is an in-memory WebSocket the test drives as the server. */
export class FakeSocket implements SocketLike {
  readyState = 0;
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  readonly sent: ClientFrame[] = [];
  closedWith: number | undefined;

  constructor(readonly url: string) {}

  send(data: string): void {
    if (this.readyState !== 1) throw new Error("send on a socket that is not open");
    this.sent.push(JSON.parse(data) as ClientFrame);
  }
  close(code = 1000): void {
    this.closedWith = code;
    this.readyState = 3;
  }

  // ---- server side ----
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  push(frame: ServerFrame | Record<string, unknown>): void {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
  serverClose(code: number, reason = ""): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
  welcome(user = "u1", name = "User One", ping = 30): void {
    this.push({ type: "welcome", version: 1, conn: "c", tenant: "t", user, name, ping, expiresAt: Date.now() + 3600_000, maxText: 1000 });
  }
  /** lastOf returns the last frame of a type the client sent. */
  lastOf(type: ClientFrame["type"]): ClientFrame | undefined {
    return [...this.sent].reverse().find((f) => f.type === type);
  }
  allOf(type: ClientFrame["type"]): ClientFrame[] {
    return this.sent.filter((f) => f.type === type);
  }
}

/** fakeSockets returns a WebSocket constructor and the list of sockets it made. */
export function fakeSockets(): { WebSocket: SocketConstructor; sockets: FakeSocket[] } {
  const sockets: FakeSocket[] = [];
  class Ctor extends FakeSocket {
    constructor(url: string) {
      super(url);
      sockets.push(this);
    }
  }
  return { WebSocket: Ctor, sockets };
}
