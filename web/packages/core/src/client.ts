import { ParleyApi } from "./api.ts";
import { backoffDelay, type BackoffOptions } from "./backoff.ts";
import { CloseCode, ErrorCode } from "./codes.ts";
import { Emitter } from "./emitter.ts";
import { ParleyError, connectionLost } from "./errors.ts";
import type {
  AckFrame,
  ClientFrame,
  ErrorFrame,
  ExpiringFrame,
  ReconnectFrame,
  ReplyFrame,
  RoomInfo,
  ServerFrame,
  SubscribedFrame,
  WelcomeFrame,
  WireMessage,
} from "./protocol.ts";
import {
  SendState,
  applyMessages,
  emptyRoom,
  newDeleteLog,
  type DeleteLog,
  type PendingMessage,
  type RoomState,
} from "./room.ts";
import { StateStore } from "./store.ts";

/** Connection states of a ParleyClient. */
export enum ConnectionState {
  /** not started: call connect() */
  Idle = "idle",
  /** first connection attempt in progress */
  Connecting = "connecting",
  /** authenticated and live */
  Connected = "connected",
  /** lost the connection; waiting for the next attempt or attempting */
  Reconnecting = "reconnecting",
  /** the network is down; attempts resume when it returns */
  Offline = "offline",
  /** the server refused the credentials; sign in again (no retry loop) */
  AuthNeeded = "auth_needed",
  /** close() was called */
  Closed = "closed",
}

/** The minimal WebSocket surface the client uses (browser, `ws`, or a fake). */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

/** A WebSocket constructor. */
export type SocketConstructor = new (url: string) => SocketLike;

/** Reports whether the device has a network, and when that changes. */
export interface NetworkMonitor {
  online(): boolean;
  /** calls cb on every change; returns the unsubscribe function */
  subscribe(cb: () => void): () => void;
}

/** A fresh access token. */
export interface RefreshedToken {
  token: string;
  /** Unix ms */
  expiresAt: number;
}

/** Options of a ParleyClient. */
export interface ParleyClientOptions {
  tenant: string;
  /** socket URL; default ws(s)://<this origin>/ws/<tenant> */
  url?: string;
  /** REST seam; default a ParleyApi for the tenant on this origin */
  api?: ParleyApi;
  /** WebSocket implementation; default globalThis.WebSocket */
  WebSocket?: SocketConstructor;
  /** Returns the access token to send in the first frame. Omit (or return
   * undefined) to rely on the tenant's access cookie (parley_at_{tenant}). Tokens are never put in URLs. */
  getToken?: () => string | undefined | Promise<string | undefined>;
  /** Called on an "expiring" frame (and once on close code 4002); the client
   * hands the new token over the open socket. */
  refreshToken?: () => Promise<RefreshedToken>;
  backoff?: BackoffOptions;
  /** how long a send waits for its ack before it is sent again (10 s) */
  ackTimeoutMs?: number;
  /** ack timeouts before a send is marked failed (3) */
  maxSendAttempts?: number;
  /** how long a request (join, history, ...) waits for its reply (15 s) */
  requestTimeoutMs?: number;
  /** how long a typing indicator lasts (5 s) */
  typingTtlMs?: number;
  /** least time between two typing frames for one room (3 s) */
  typingThrottleMs?: number;
  /** network monitor; default navigator.onLine and online/offline events; null disables */
  network?: NetworkMonitor | null;
  /** clock, Unix ms */
  now?: () => number;
  /** client message id generator */
  newCmid?: () => string;
}

/** The client-wide snapshot a UI draws the banner from. */
export interface ClientSnapshot {
  connection: ConnectionState;
  user?: { id: string; name: string };
  /** tenant's max message length, from the welcome frame */
  maxText?: number;
  /** access token expiry, Unix ms */
  expiresAt?: number;
  /** Unix ms of the next reconnect attempt while reconnecting */
  retryAt?: number;
  /** the last failure that affected the connection */
  lastError?: ParleyError;
}

/** A new message in a room (from catch-up, live delivery or history). */
export interface MessageEvent {
  room: string;
  message: WireMessage;
  /** false for history pages and resume catch-up */
  live: boolean;
}

/** Typed events of a ParleyClient. */
export interface ParleyClientEvents {
  state: ConnectionState;
  welcome: WelcomeFrame;
  message: MessageEvent;
  ack: { room: string; cmid: string; seq: number };
  "send-failed": PendingMessage;
  "auth-needed": { code: number; reason: string };
  "token-refreshed": { expiresAt: number };
  presence: { room: string; online: number };
  typing: { room: string; user: string; name: string };
  /** errors not tied to a request the caller awaits */
  error: ParleyError;
}

interface PendingRequest {
  resolve: (f: ReplyFrame | SubscribedFrame) => void;
  reject: (e: ParleyError) => void;
  timer: ReturnType<typeof setTimeout>;
}

interface RoomEntry {
  store: StateStore<RoomState>;
  deletes: DeleteLog;
  subscribed: boolean;
  /** whether a resume_ahead reset was already tried on this subscription */
  resetTried: boolean;
  lastTypingSent: number;
}

const OPEN = 1;

/**
 * ParleyClient owns a tenant's WebSocket connection and everything a UI
 * should not: authentication (cookie or first-frame token), reconnect with
 * jittered back-off, resume of every subscribed room from its last seq,
 * heartbeat, in-socket token refresh, and an outbox whose sends survive
 * disconnects and are retried with the same client message id until acked.
 * State is exposed as StateStores (for useSyncExternalStore) and typed events.
 */
export class ParleyClient {
  /** The REST seam this client uses. */
  readonly api: ParleyApi;
  /** Client-wide state: connection, user, expiry. */
  readonly state = new StateStore<ClientSnapshot>({ connection: ConnectionState.Idle });
  readonly #events = new Emitter<ParleyClientEvents>();
  readonly #opts: ParleyClientOptions;
  readonly #rooms = new Map<string, RoomEntry>();
  readonly #requests = new Map<string, PendingRequest>();
  readonly #sendTimers = new Map<string, ReturnType<typeof setTimeout>>();
  readonly #now: () => number;
  #ws: SocketLike | null = null;
  #attempt = 0;
  #everConnected = false;
  #authed = false;
  #reqSeq = 0;
  #retryTimer: ReturnType<typeof setTimeout> | null = null;
  #welcomeTimer: ReturnType<typeof setTimeout> | null = null;
  #watchdog: ReturnType<typeof setTimeout> | null = null;
  #typingTimer: ReturnType<typeof setTimeout> | null = null;
  #pingMs = 30_000;
  #silentSince = 0;
  #pinged = false;
  #reconnectAfter: number | null = null;
  #refreshedOnClose = false;
  #unsubscribeNetwork: (() => void) | null = null;

  constructor(opts: ParleyClientOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? Date.now;
    this.api = opts.api ?? new ParleyApi({ tenant: opts.tenant });
  }

  /** on subscribes to an event; returns the unsubscribe function. */
  on<K extends keyof ParleyClientEvents>(event: K, handler: (p: ParleyClientEvents[K]) => void): () => void {
    return this.#events.on(event, handler);
  }

  /** connection is the current connection state. */
  get connection(): ConnectionState {
    return this.state.getSnapshot().connection;
  }

  /** connect starts (or restarts after auth-needed) the connection. */
  connect(): void {
    const c = this.connection;
    if (c !== ConnectionState.Idle && c !== ConnectionState.Closed && c !== ConnectionState.AuthNeeded) return;
    this.#attempt = 0;
    this.#refreshedOnClose = false;
    this.#watchNetwork();
    this.#open();
  }

  /** close ends the connection for good (until connect() is called again). */
  close(): void {
    this.#clearRetry();
    this.#unsubscribeNetwork?.();
    this.#unsubscribeNetwork = null;
    this.#drop(CloseCode.Normal, "client closed", false);
    this.#setConnection(ConnectionState.Closed);
  }

  /** room returns the state store of a room (created on first use). */
  room(id: string): StateStore<RoomState> {
    return this.#entry(id).store;
  }

  /**
   * openRoom loads the newest page of history (when nothing is known yet)
   * and subscribes, so the room is complete from that page on: the
   * subscription resumes after the last seq the page held.
   */
  async openRoom(id: string, pageSize = 50): Promise<void> {
    const e = this.#entry(id);
    if (e.store.getSnapshot().lastSeq === 0 && e.store.getSnapshot().messages.length === 0) {
      await this.loadOlder(id, pageSize);
    }
    await this.subscribe(id);
  }

  /** subscribe receives a room's messages, resuming after its last seq,
   * now and after every reconnect. Resolves once catch-up is complete (or
   * immediately when offline: it happens on the next connection). */
  subscribe(id: string): Promise<void> {
    const e = this.#entry(id);
    e.subscribed = true;
    e.resetTried = false;
    if (!this.#live()) return Promise.resolve();
    return this.#sendSubscribe(id, e);
  }

  /** unsubscribe stops receiving a room (its state is kept). */
  unsubscribe(id: string): void {
    const e = this.#rooms.get(id);
    if (!e || !e.subscribed) return;
    e.subscribed = false;
    e.store.patch({ sync: "idle" });
    if (this.#live()) this.#write({ type: "unsubscribe", room: id });
  }

  /** loadOlder fetches the page of history before the oldest loaded message.
   * Returns how many messages were new. */
  async loadOlder(id: string, limit = 50): Promise<number> {
    const e = this.#entry(id);
    const s = e.store.getSnapshot();
    const oldest = s.messages[0]?.seq;
    const query = oldest !== undefined ? { before: oldest, limit } : s.lastSeq > 0 ? { before: s.lastSeq + 1, limit } : { limit };
    const page = await this.api.messages(id, query);
    const merged = this.#apply(id, page, false);
    const lowest = page.reduce((m, r) => Math.min(m, r.seq), Infinity);
    e.store.patch({ hasOlder: page.length >= limit && lowest > 1 });
    return merged;
  }

  /** join makes the user a member of an open room. */
  async join(id: string): Promise<RoomInfo | undefined> {
    if (this.#live()) {
      const reply = (await this.#request({ type: "join", room: id })) as ReplyFrame;
      return reply.room;
    }
    return this.api.joinRoom(id);
  }

  /** leave ends the membership and stops receiving the room. */
  async leave(id: string): Promise<void> {
    this.unsubscribe(id);
    if (this.#live()) await this.#request({ type: "leave", room: id });
    else await this.api.leaveRoom(id);
  }

  /**
   * send posts a text message. It appears at once in the room's `pending`
   * list as "sending"; it is delivered when the room is live (now or after
   * the next reconnect), retried with the same client message id until the
   * server acks it, and becomes "failed" only when the server refuses it or
   * stops answering. Returns the client message id.
   */
  send(room: string, text: string): string {
    const cmid = this.#opts.newCmid?.() ?? randomId();
    const p: PendingMessage = { room, cmid, text, state: SendState.Sending, at: this.#now(), attempts: 0 };
    const e = this.#entry(room);
    e.store.set((s) => ({ ...s, pending: [...s.pending, p] }));
    if (this.#live() && e.store.getSnapshot().sync === "live") this.#transmit(room, cmid);
    return cmid;
  }

  /** retry sends a failed message again, with its original client message id. */
  retry(room: string, cmid: string): void {
    const e = this.#rooms.get(room);
    if (!e) return;
    this.#updatePending(room, cmid, (p) => ({ ...p, state: SendState.Sending, attempts: 0, error: undefined }));
    if (this.#live() && e.store.getSnapshot().sync === "live") this.#transmit(room, cmid);
  }

  /** discard drops an unconfirmed message from the outbox. */
  discard(room: string, cmid: string): void {
    this.#clearSendTimer(cmid);
    this.#rooms.get(room)?.store.set((s) => ({ ...s, pending: s.pending.filter((p) => p.cmid !== cmid) }));
  }

  /** deleteMessage deletes one of the user's own messages. */
  async deleteMessage(room: string, seq: number): Promise<void> {
    await this.#request({ type: "delete", room, seq });
  }

  /** typing tells the room the user is typing (throttled). */
  typing(room: string): void {
    const e = this.#entry(room);
    const now = this.#now();
    if (!this.#live() || now - e.lastTypingSent < (this.#opts.typingThrottleMs ?? 3000)) return;
    e.lastTypingSent = now;
    this.#write({ type: "typing", room });
  }

  // ---- connection ----

  #live(): boolean {
    return this.#authed && this.#ws !== null && this.#ws.readyState === OPEN;
  }

  #setConnection(connection: ConnectionState, extra: Partial<ClientSnapshot> = {}): void {
    const prev = this.state.getSnapshot().connection;
    this.state.patch({ connection, ...extra });
    if (prev !== connection) this.#events.emit("state", connection);
  }

  #watchNetwork(): void {
    if (this.#unsubscribeNetwork) return;
    const net = this.#opts.network === undefined ? browserNetwork() : this.#opts.network;
    if (!net) return;
    this.#unsubscribeNetwork = net.subscribe(() => {
      const c = this.connection;
      if (net.online()) {
        if (c === ConnectionState.Offline) {
          this.#attempt = 0;
          this.#open();
        } else if (c === ConnectionState.Reconnecting && this.#retryTimer) {
          // Back from a network change: try now rather than at the back-off.
          this.#clearRetry();
          this.#open();
        }
      } else if (c === ConnectionState.Connected || c === ConnectionState.Reconnecting || c === ConnectionState.Connecting) {
        this.#clearRetry();
        this.#drop(4000, "network offline", false);
        this.#setConnection(ConnectionState.Offline);
      }
    });
    this.#netOnline = () => net.online();
  }

  #netOnline: () => boolean = () => true;

  #open(): void {
    this.#clearRetry();
    if (!this.#netOnline()) {
      this.#setConnection(ConnectionState.Offline);
      return;
    }
    this.#setConnection(this.#everConnected || this.#attempt > 0 ? ConnectionState.Reconnecting : ConnectionState.Connecting, {
      retryAt: undefined,
    });
    const Ctor = this.#opts.WebSocket ?? (globalThis.WebSocket as unknown as SocketConstructor | undefined);
    if (!Ctor) throw new Error("ParleyClient: no WebSocket implementation; pass options.WebSocket");
    let ws: SocketLike;
    try {
      ws = new Ctor(this.#opts.url ?? defaultSocketUrl(this.#opts.tenant));
    } catch (err) {
      this.#lost(1006, String(err));
      return;
    }
    this.#ws = ws;
    this.#authed = false;
    ws.onopen = () => {
      if (this.#ws !== ws) return;
      void this.#authenticate(ws);
    };
    ws.onmessage = (ev) => {
      if (this.#ws !== ws) return;
      this.#onFrame(ev.data);
    };
    ws.onerror = () => {
      /* the close event follows and decides */
    };
    ws.onclose = (ev) => {
      if (this.#ws !== ws) return;
      this.#detach();
      this.#lost(ev.code, ev.reason);
    };
    // A server that accepts the socket but never welcomes us is as good as dead.
    this.#welcomeTimer = setTimeout(() => {
      if (this.#ws === ws && !this.#authed) this.#drop(4009, "no welcome", true);
    }, this.#opts.requestTimeoutMs ?? 15_000);
  }

  async #authenticate(ws: SocketLike): Promise<void> {
    let token: string | undefined;
    try {
      token = await this.#opts.getToken?.();
    } catch (err) {
      this.#events.emit("error", new ParleyError(ErrorCode.Unauthenticated, `getToken failed: ${String(err)}`));
    }
    if (this.#ws !== ws || ws.readyState !== OPEN) return;
    if (token) ws.send(JSON.stringify({ type: "auth", token } satisfies ClientFrame));
    // Without a token the tenant's access cookie (parley_at_{tenant}) authenticated the upgrade: the
    // welcome frame comes on its own.
  }

  /** #drop closes the current socket without waiting for the close
   * handshake (a dead peer may never answer) and, if reconnect, handles it as
   * a lost connection. */
  #drop(code: number, reason: string, reconnect: boolean): void {
    const ws = this.#ws;
    if (!ws) return;
    this.#detach();
    try {
      ws.close(code >= 4000 && code < 5000 ? code : 1000, reason);
    } catch {
      /* already closing */
    }
    if (reconnect) this.#lost(code, reason);
  }

  #detach(): void {
    const ws = this.#ws;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onerror = ws.onclose = null;
    }
    this.#ws = null;
    this.#authed = false;
    if (this.#welcomeTimer) clearTimeout(this.#welcomeTimer);
    if (this.#watchdog) clearTimeout(this.#watchdog);
    this.#welcomeTimer = this.#watchdog = null;
    for (const t of this.#sendTimers.values()) clearTimeout(t);
    this.#sendTimers.clear();
    for (const [id, r] of this.#requests) {
      clearTimeout(r.timer);
      r.reject(connectionLost());
      this.#requests.delete(id);
    }
    for (const e of this.#rooms.values()) {
      if (e.store.getSnapshot().sync !== "idle") e.store.patch({ sync: "idle" });
    }
  }

  /** #lost decides what a closed connection means: sign in again, or reconnect. */
  #lost(code: number, reason: string): void {
    const c = this.connection;
    if (c === ConnectionState.Closed || c === ConnectionState.Offline) return;
    if (code === CloseCode.AuthFailed || code === CloseCode.SessionRevoked) {
      this.#authNeeded(code, reason);
      return;
    }
    if (code === CloseCode.TokenExpired) {
      if (this.#opts.refreshToken && !this.#refreshedOnClose) {
        this.#refreshedOnClose = true;
        this.#setConnection(ConnectionState.Reconnecting);
        this.#opts.refreshToken().then(
          () => this.#open(),
          () => this.#authNeeded(code, reason),
        );
        return;
      }
      this.#authNeeded(code, reason);
      return;
    }
    let delay: number;
    if (this.#reconnectAfter !== null) {
      // The server said when: honour it, plus jitter so a whole node's
      // clients do not return at once.
      const after = this.#reconnectAfter;
      this.#reconnectAfter = null;
      delay = after + Math.round(Math.random() * Math.max(250, after / 2));
    } else {
      const opts = { ...this.#opts.backoff };
      if (code === CloseCode.RateLimited) opts.baseMs = Math.max(opts.baseMs ?? 500, 5000);
      delay = backoffDelay(this.#attempt, opts);
    }
    this.#attempt++;
    const retryAt = this.#now() + delay;
    this.#setConnection(ConnectionState.Reconnecting, {
      retryAt,
      lastError: new ParleyError(code === CloseCode.RateLimited ? ErrorCode.RateLimited : ErrorCode.Unavailable, reason || `closed (${code})`, true),
    });
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      this.#open();
    }, delay);
  }

  #authNeeded(code: number, reason: string): void {
    this.#clearRetry();
    this.#setConnection(ConnectionState.AuthNeeded, {
      retryAt: undefined,
      lastError: new ParleyError(code === CloseCode.TokenExpired ? ErrorCode.TokenExpired : ErrorCode.Unauthenticated, reason || `closed (${code})`),
    });
    this.#events.emit("auth-needed", { code, reason });
  }

  #clearRetry(): void {
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
  }

  /** retryNow skips the back-off wait (e.g. a "retry now" button). */
  retryNow(): void {
    if (this.connection === ConnectionState.Reconnecting && this.#retryTimer) this.#open();
  }

  // ---- heartbeat ----

  /** #heard resets the dead-socket watchdog: the server pings when idle for
   * `ping` seconds, so silence for that long earns a ping of ours, and
   * silence for twice that means the socket is dead. */
  #heard(): void {
    this.#silentSince = this.#now();
    this.#pinged = false;
    this.#armWatchdog(this.#pingMs + 2000);
  }

  #armWatchdog(ms: number): void {
    if (this.#watchdog) clearTimeout(this.#watchdog);
    this.#watchdog = setTimeout(() => {
      this.#watchdog = null;
      if (!this.#ws) return;
      if (!this.#pinged) {
        this.#pinged = true;
        this.#write({ type: "ping" });
        this.#armWatchdog(this.#pingMs);
      } else {
        this.#drop(CloseCode.HeartbeatTimeout, "heartbeat timeout", true);
      }
    }, ms);
  }

  // ---- frames ----

  #write(frame: ClientFrame): boolean {
    const ws = this.#ws;
    if (!ws || ws.readyState !== OPEN) return false;
    ws.send(JSON.stringify(frame));
    return true;
  }

  #request(frame: ClientFrame): Promise<ReplyFrame | SubscribedFrame> {
    const id = `r${++this.#reqSeq}`;
    return new Promise((resolve, reject) => {
      if (!this.#live()) {
        reject(connectionLost());
        return;
      }
      const timer = setTimeout(() => {
        this.#requests.delete(id);
        reject(new ParleyError(ErrorCode.Unavailable, `${frame.type}: no reply`, true));
      }, this.#opts.requestTimeoutMs ?? 15_000);
      this.#requests.set(id, { resolve, reject, timer });
      this.#write({ ...frame, id });
    });
  }

  #onFrame(data: unknown): void {
    let f: ServerFrame;
    try {
      f = JSON.parse(typeof data === "string" ? data : String(data)) as ServerFrame;
    } catch {
      this.#events.emit("error", new ParleyError(ErrorCode.BadRequest, "server sent a frame that is not JSON"));
      return;
    }
    if (this.#authed) this.#heard();
    switch (f.type) {
      case "welcome":
        this.#onWelcome(f);
        break;
      case "ping":
        this.#write(f.id ? { type: "pong", id: f.id } : { type: "pong" });
        break;
      case "pong":
        break;
      case "message":
        this.#apply(f.room, [f], true);
        break;
      case "ack":
        this.#onAck(f);
        break;
      case "subscribed":
        this.#onSubscribed(f);
        break;
      case "reply":
        this.#settle(f.id, f);
        break;
      case "error":
        this.#onError(f);
        break;
      case "presence":
        this.#entry(f.room).store.patch({ online: f.online });
        this.#events.emit("presence", { room: f.room, online: f.online });
        break;
      case "typing":
        this.#onTyping(f.room, f.user, f.name);
        break;
      case "expiring":
        void this.#onExpiring(f);
        break;
      case "reconnect":
        this.#onReconnect(f);
        break;
    }
  }

  #onWelcome(w: WelcomeFrame): void {
    if (this.#welcomeTimer) clearTimeout(this.#welcomeTimer);
    this.#welcomeTimer = null;
    this.#authed = true;
    this.#everConnected = true;
    this.#attempt = 0;
    this.#refreshedOnClose = false;
    this.#pingMs = Math.max(1, w.ping || 30) * 1000;
    this.#heard();
    this.#setConnection(ConnectionState.Connected, {
      user: { id: w.user, name: w.name },
      maxText: w.maxText,
      expiresAt: w.expiresAt,
      retryAt: undefined,
      lastError: undefined,
    });
    this.#events.emit("welcome", w);
    for (const [id, e] of this.#rooms) {
      if (e.subscribed) {
        this.#sendSubscribe(id, e).catch((err: unknown) => {
          if (err instanceof ParleyError && err.code !== ErrorCode.Unavailable) this.#events.emit("error", err);
        });
      }
    }
  }

  #sendSubscribe(id: string, e: RoomEntry): Promise<void> {
    e.store.patch({ sync: "subscribing" });
    const after = e.store.getSnapshot().lastSeq;
    return this.#request(after > 0 ? { type: "subscribe", room: id, after } : { type: "subscribe", room: id }).then(
      () => undefined,
      (err: ParleyError) => {
        if (err.code === ErrorCode.ResumeAhead && !e.resetTried) {
          // The room is behind what we hold (e.g. a restored database): start over.
          e.resetTried = true;
          e.deletes = newDeleteLog();
          e.store.set((s) => ({ ...emptyRoom(id), pending: s.pending }));
          return this.#sendSubscribe(id, e);
        }
        if (err.code !== ErrorCode.Unavailable) {
          e.subscribed = false;
          e.store.patch({ sync: "idle" });
        }
        throw err;
      },
    );
  }

  #onSubscribed(f: SubscribedFrame): void {
    const e = this.#entry(f.room);
    e.store.patch({ sync: "live", online: f.online });
    if (f.id) this.#settle(f.id, f);
    // The room is complete up to now: (re)send what the outbox holds, in order.
    for (const p of e.store.getSnapshot().pending) {
      if (p.state === SendState.Sending && !this.#sendTimers.has(p.cmid)) this.#transmit(f.room, p.cmid);
    }
  }

  #settle(id: string, f: ReplyFrame | SubscribedFrame): void {
    const r = this.#requests.get(id);
    if (!r) return;
    clearTimeout(r.timer);
    this.#requests.delete(id);
    r.resolve(f);
  }

  #onError(f: ErrorFrame): void {
    const err = new ParleyError(f.code, f.message, f.temporary === true);
    if (f.id?.startsWith("s:")) {
      this.#onSendError(f.id, err);
      return;
    }
    const r = f.id ? this.#requests.get(f.id) : undefined;
    if (r && f.id) {
      clearTimeout(r.timer);
      this.#requests.delete(f.id);
      r.reject(err);
      return;
    }
    this.state.patch({ lastError: err });
    this.#events.emit("error", err);
  }

  async #onExpiring(f: ExpiringFrame): Promise<void> {
    this.state.patch({ expiresAt: f.expiresAt });
    if (!this.#opts.refreshToken) return;
    try {
      const t = await this.#opts.refreshToken();
      const reply = (await this.#request({ type: "refresh", token: t.token })) as ReplyFrame;
      const expiresAt = reply.expiresAt ?? t.expiresAt;
      this.state.patch({ expiresAt });
      this.#events.emit("token-refreshed", { expiresAt });
    } catch (err) {
      // The server closes with 4002 at expiry; #lost tries once more there.
      this.#events.emit("error", err instanceof ParleyError ? err : new ParleyError(ErrorCode.Unauthenticated, String(err)));
    }
  }

  #onReconnect(f: ReconnectFrame): void {
    this.#reconnectAfter = Math.max(0, f.afterMs || 0);
    this.#drop(CloseCode.Reconnect, f.reason || "server asked to reconnect", true);
  }

  #onTyping(room: string, user: string, name: string): void {
    if (user === this.state.getSnapshot().user?.id) return;
    const until = this.#now() + (this.#opts.typingTtlMs ?? 5000);
    this.#entry(room).store.set((s) => ({
      ...s,
      typing: [...s.typing.filter((t) => t.user !== user), { user, name, until }],
    }));
    this.#events.emit("typing", { room, user, name });
    this.#scheduleTypingSweep();
  }

  #scheduleTypingSweep(): void {
    if (this.#typingTimer) clearTimeout(this.#typingTimer);
    let next = Infinity;
    for (const e of this.#rooms.values()) for (const t of e.store.getSnapshot().typing) next = Math.min(next, t.until);
    if (next === Infinity) {
      this.#typingTimer = null;
      return;
    }
    this.#typingTimer = setTimeout(() => {
      this.#typingTimer = null;
      const now = this.#now();
      for (const e of this.#rooms.values()) {
        const s = e.store.getSnapshot();
        if (s.typing.some((t) => t.until <= now)) e.store.set({ ...s, typing: s.typing.filter((t) => t.until > now) });
      }
      this.#scheduleTypingSweep();
    }, Math.max(0, next - this.#now()));
  }

  // ---- outbox ----

  #transmit(room: string, cmid: string): void {
    const p = this.#rooms.get(room)?.store.getSnapshot().pending.find((x) => x.cmid === cmid);
    if (!p || p.state !== SendState.Sending) return;
    const attempts = p.attempts + 1;
    this.#updatePending(room, cmid, (x) => ({ ...x, attempts }));
    if (!this.#write({ type: "send", id: `s:${cmid}`, room, text: p.text, cmid })) return;
    this.#clearSendTimer(cmid);
    this.#sendTimers.set(
      cmid,
      setTimeout(() => {
        this.#sendTimers.delete(cmid);
        if (attempts >= (this.#opts.maxSendAttempts ?? 3)) this.#fail(room, cmid, ErrorCode.Unavailable);
        else this.#transmit(room, cmid); // same cmid: the server stores it at most once
      }, this.#opts.ackTimeoutMs ?? 10_000),
    );
  }

  #onAck(a: AckFrame): void {
    const cmid = a.cmid ?? (a.id?.startsWith("s:") ? a.id.slice(2) : undefined);
    if (!cmid) return;
    this.#clearSendTimer(cmid);
    const e = this.#rooms.get(a.room);
    const p = e?.store.getSnapshot().pending.find((x) => x.cmid === cmid);
    if (!e || !p) return;
    const me = this.state.getSnapshot().user;
    // The ack carries everything the stored message holds: show it as sent
    // right away; the broadcast copy with the same seq is then a duplicate.
    const record: WireMessage = { room: a.room, seq: a.seq, kind: "text", text: p.text, cmid, at: a.at || this.#now() };
    if (me) {
      record.user = me.id;
      record.name = me.name;
    }
    // Make sure the pending entry goes even if user is unknown.
    e.store.set((s) => ({ ...s, pending: s.pending.filter((x) => x.cmid !== cmid) }));
    this.#apply(a.room, [record], true);
    this.#events.emit("ack", { room: a.room, cmid, seq: a.seq });
  }

  #onSendError(id: string, err: ParleyError): void {
    const cmid = id.slice(2);
    this.#clearSendTimer(cmid);
    const room = [...this.#rooms.entries()].find(([, e]) => e.store.getSnapshot().pending.some((p) => p.cmid === cmid))?.[0];
    if (!room) return;
    if (err.temporary) {
      const p = this.#rooms.get(room)!.store.getSnapshot().pending.find((x) => x.cmid === cmid)!;
      if (p.attempts < (this.#opts.maxSendAttempts ?? 3) + 2) {
        const delay = backoffDelay(p.attempts, { baseMs: 1000, maxMs: 10_000 });
        this.#sendTimers.set(
          cmid,
          setTimeout(() => {
            this.#sendTimers.delete(cmid);
            this.#transmit(room, cmid);
          }, delay),
        );
        return;
      }
    }
    this.#fail(room, cmid, err.code);
  }

  #fail(room: string, cmid: string, code: string): void {
    this.#updatePending(room, cmid, (p) => ({ ...p, state: SendState.Failed, error: code }));
    const p = this.#rooms.get(room)?.store.getSnapshot().pending.find((x) => x.cmid === cmid);
    if (p) this.#events.emit("send-failed", p);
  }

  #clearSendTimer(cmid: string): void {
    const t = this.#sendTimers.get(cmid);
    if (t) clearTimeout(t);
    this.#sendTimers.delete(cmid);
  }

  #updatePending(room: string, cmid: string, f: (p: PendingMessage) => PendingMessage): void {
    this.#rooms.get(room)?.store.set((s) => {
      const i = s.pending.findIndex((p) => p.cmid === cmid);
      if (i < 0) return s;
      const pending = s.pending.slice();
      pending[i] = f(pending[i]!);
      return { ...s, pending };
    });
  }

  // ---- rooms ----

  #entry(id: string): RoomEntry {
    let e = this.#rooms.get(id);
    if (!e) {
      e = { store: new StateStore(emptyRoom(id)), deletes: newDeleteLog(), subscribed: false, resetTried: false, lastTypingSent: 0 };
      this.#rooms.set(id, e);
    }
    return e;
  }

  #apply(room: string, records: readonly WireMessage[], live: boolean): number {
    const e = this.#entry(room);
    const me = this.state.getSnapshot().user?.id;
    const merge = applyMessages(e.store.getSnapshot(), records, me !== undefined ? { me, seen: e.deletes } : { seen: e.deletes });
    e.store.set(merge.state);
    for (const m of merge.added) this.#events.emit("message", { room, message: m, live });
    return merge.added.length;
  }
}

function defaultSocketUrl(tenant: string): string {
  const loc = (globalThis as { location?: Location }).location;
  if (!loc) throw new Error("ParleyClient: no location to derive the socket URL from; pass options.url");
  const scheme = loc.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${loc.host}/ws/${encodeURIComponent(tenant)}`;
}

function browserNetwork(): NetworkMonitor | null {
  const g = globalThis as { navigator?: Navigator; addEventListener?: typeof addEventListener; removeEventListener?: typeof removeEventListener };
  if (!g.navigator || typeof g.addEventListener !== "function" || !("onLine" in g.navigator)) return null;
  return {
    online: () => g.navigator!.onLine,
    subscribe(cb) {
      g.addEventListener!("online", cb);
      g.addEventListener!("offline", cb);
      return () => {
        g.removeEventListener!("online", cb);
        g.removeEventListener!("offline", cb);
      };
    },
  };
}

/** randomId returns a random client message id. */
export function randomId(): string {
  const c = (globalThis as { crypto?: Crypto }).crypto;
  if (c?.randomUUID) return c.randomUUID();
  const bytes = new Uint8Array(16);
  if (c?.getRandomValues) c.getRandomValues(bytes);
  else for (let i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
