import { ErrorCode } from "./codes.ts";
import { ParleyError } from "./errors.ts";
import type { RoomInfo, WireMessage } from "./protocol.ts";

/** The REST services a tenant may point elsewhere, one by one. */
export type ServiceName = "rooms" | "messages" | "me" | "auth";

/** Where one service's requests go and how they are made. */
export interface ServiceEndpoint {
  /** URL prefix in front of "/api/v1/t/{tenant}/..." ("" = same origin) */
  baseUrl?: string;
  fetch?: typeof fetch;
}

/** ParleyApiOptions configure the REST seam. */
export interface ParleyApiOptions {
  tenant: string;
  /** default URL prefix of every service ("" = same origin) */
  baseUrl?: string;
  /** default fetch of every service (globalThis.fetch) */
  fetch?: typeof fetch;
  /** per-service overrides, e.g. `{ rooms: { baseUrl: "https://rooms.example" } }` */
  services?: Partial<Record<ServiceName, ServiceEndpoint>>;
  /** bearer token for tenants without cookies (kept in memory by the caller) */
  getToken?: () => string | undefined;
}

/** A page of rooms. */
export interface RoomPage {
  rooms: RoomInfo[];
  /** pass as `cursor` for the next page; absent on the last page */
  next?: string;
}

/** Query of the room list. */
export interface RoomQuery {
  q?: string;
  tag?: string;
  limit?: number;
  cursor?: string;
}

/** Query of a room's history, by seq. */
export interface HistoryQuery {
  before?: number;
  after?: number;
  limit?: number;
}

/** The signed-in user. */
export interface Me {
  id: string;
  name: string;
  tenant?: string;
  avatar?: string;
}

/** A token handed out by the auth endpoints (kept in memory only). */
export interface IssuedToken {
  token: string;
  /** Unix ms */
  expiresAt: number;
  user?: string;
  name?: string;
  room?: string;
}

/**
 * ParleyApi is the one seam every REST call goes through. A service can
 * point any group of calls elsewhere (`services`), swap fetch (tests,
 * WebViews) or add a bearer token (iframe tenants without cookies).
 */
export class ParleyApi {
  readonly tenant: string;
  readonly #opts: ParleyApiOptions;

  constructor(opts: ParleyApiOptions) {
    this.tenant = opts.tenant;
    this.#opts = opts;
  }

  /** listRooms searches the tenant's open rooms by title or tag, most active first. */
  async listRooms(query: RoomQuery = {}): Promise<RoomPage> {
    const body = await this.#request<RoomPage | RoomInfo[]>("rooms", "GET", "/rooms" + qs(query));
    return Array.isArray(body) ? { rooms: body } : { ...body, rooms: body.rooms ?? [] };
  }

  /** createRoom creates an open room; the creator becomes its owner. */
  createRoom(room: { title: string; topic?: string; tags?: string[] }): Promise<RoomInfo> {
    return this.#request<RoomInfo>("rooms", "POST", "/rooms", room);
  }

  /** getRoom returns one room. */
  getRoom(room: string): Promise<RoomInfo> {
    return this.#request<RoomInfo>("rooms", "GET", `/rooms/${enc(room)}`);
  }

  /** joinRoom makes the user a member. */
  joinRoom(room: string): Promise<RoomInfo | undefined> {
    return this.#request<RoomInfo | undefined>("rooms", "POST", `/rooms/${enc(room)}/join`);
  }

  /** leaveRoom ends the user's membership. */
  async leaveRoom(room: string): Promise<void> {
    await this.#request<unknown>("rooms", "POST", `/rooms/${enc(room)}/leave`);
  }

  /** messages pages a room's history by seq; without bounds, the newest page. */
  async messages(room: string, query: HistoryQuery = {}): Promise<WireMessage[]> {
    const body = await this.#request<{ messages?: WireMessage[] } | WireMessage[]>(
      "messages",
      "GET",
      `/rooms/${enc(room)}/messages` + qs(query),
    );
    return Array.isArray(body) ? body : (body.messages ?? []);
  }

  /** postMessage sends a message over REST (idempotent on cmid). */
  postMessage(room: string, msg: { text: string; cmid: string }): Promise<unknown> {
    return this.#request<unknown>("messages", "POST", `/rooms/${enc(room)}/messages`, msg);
  }

  /** me returns the signed-in user. */
  me(): Promise<Me> {
    return this.#request<Me>("me", "GET", "/me");
  }

  /** myRooms lists the rooms the user is a member of. */
  async myRooms(): Promise<RoomInfo[]> {
    const body = await this.#request<{ rooms?: RoomInfo[] } | RoomInfo[]>("me", "GET", "/me/rooms");
    return Array.isArray(body) ? body : (body.rooms ?? []);
  }

  /** refresh extends the session and returns a fresh access token. */
  refresh(): Promise<IssuedToken> {
    return this.#request<IssuedToken>("auth", "POST", "/auth/refresh");
  }

  /** exchangeAssertion trades a host-signed assertion for an access token;
   * room, when given, must be the assertion's room (the one the iframe shows). */
  exchangeAssertion(assertion: string, room?: string): Promise<IssuedToken> {
    return this.#request<IssuedToken>("auth", "POST", "/auth/assertion", room ? { assertion, room } : { assertion });
  }

  async #request<T>(service: ServiceName, method: string, path: string, body?: unknown): Promise<T> {
    const svc = this.#opts.services?.[service];
    const base = svc?.baseUrl ?? this.#opts.baseUrl ?? "";
    const doFetch = svc?.fetch ?? this.#opts.fetch ?? globalThis.fetch.bind(globalThis);
    const headers: Record<string, string> = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const token = this.#opts.getToken?.();
    if (token) headers["Authorization"] = `Bearer ${token}`;
    const url = `${base}/api/v1/t/${enc(this.tenant)}${path}`;
    let res: Response;
    try {
      const init: RequestInit = { method, headers, credentials: "same-origin" };
      if (body !== undefined) init.body = JSON.stringify(body);
      res = await doFetch(url, init);
    } catch (err) {
      throw new ParleyError(ErrorCode.Unavailable, `network error: ${String(err)}`, true);
    }
    const text = await res.text();
    let parsed: unknown = undefined;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        if (res.ok) throw new ParleyError(ErrorCode.Internal, "response is not JSON", false, res.status);
      }
    }
    if (!res.ok) {
      const e = (parsed ?? {}) as { code?: string; message?: string; temporary?: boolean };
      throw new ParleyError(
        e.code ?? statusCode(res.status),
        e.message ?? res.statusText ?? `HTTP ${res.status}`,
        e.temporary ?? (res.status >= 500 || res.status === 429),
        res.status,
      );
    }
    return parsed as T;
  }
}

function statusCode(status: number): ErrorCode {
  switch (status) {
    case 400:
      return ErrorCode.BadRequest;
    case 401:
      return ErrorCode.Unauthenticated;
    case 403:
      return ErrorCode.Forbidden;
    case 404:
      return ErrorCode.NotFound;
    case 409:
      return ErrorCode.Conflict;
    case 429:
      return ErrorCode.RateLimited;
    case 502:
    case 503:
    case 504:
      return ErrorCode.Unavailable;
    default:
      return ErrorCode.Internal;
  }
}

function enc(s: string): string {
  return encodeURIComponent(s);
}

function qs(q: object): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v !== undefined && v !== null && v !== "") p.set(k, String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : "";
}
