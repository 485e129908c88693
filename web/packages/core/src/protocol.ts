// Wire shapes of the Parley protocol (mirrors internal/protocol/protocol.go;
// the codes themselves are generated into codes.ts).

import type { ErrorCode } from "./codes.ts";

/** A room message as sent on the wire (live, catch-up and history). */
export interface WireMessage {
  type?: "message";
  room: string;
  seq: number;
  /** text | system | delete */
  kind: "text" | "system" | "delete";
  /** system: join | leave | announce */
  event?: string;
  user?: string;
  name?: string;
  text?: string;
  cmid?: string;
  /** delete: seq of the deleted message */
  ref?: number;
  deleted?: boolean;
  /** Unix ms */
  at: number;
}

/** A room as the server describes it (socket replies and REST). */
export interface RoomInfo {
  id: string;
  kind: "open" | "private";
  title: string;
  topic?: string;
  tags: string[];
  owner?: string;
  members: number;
  online: number;
  lastSeq: number;
  /** Unix ms */
  lastActivity: number;
  /** Unix ms */
  createdAt: number;
}

export interface WelcomeFrame {
  type: "welcome";
  version: number;
  conn: string;
  tenant: string;
  user: string;
  name: string;
  /** the server pings when the connection is idle this many seconds */
  ping: number;
  /** access token expiry, Unix ms */
  expiresAt: number;
  /** the tenant's max message length in characters */
  maxText: number;
}

export interface ReplyFrame {
  type: "reply";
  id: string;
  room?: RoomInfo;
  messages?: WireMessage[];
  expiresAt?: number;
}

export interface ErrorFrame {
  type: "error";
  id?: string;
  code: ErrorCode | string;
  message: string;
  temporary?: boolean;
}

export interface AckFrame {
  type: "ack";
  id?: string;
  room: string;
  seq: number;
  cmid?: string;
  at: number;
  duplicate?: boolean;
}

export interface SubscribedFrame {
  type: "subscribed";
  id?: string;
  room: string;
  lastSeq: number;
  online: number;
}

export interface TypingFrame {
  type: "typing";
  room: string;
  user: string;
  name: string;
}

export interface PresenceFrame {
  type: "presence";
  room: string;
  online: number;
}

export interface ReconnectFrame {
  type: "reconnect";
  reason: string;
  afterMs: number;
}

export interface ExpiringFrame {
  type: "expiring";
  expiresAt: number;
}

export interface PingFrame {
  type: "ping" | "pong";
  id?: string;
}

/** Every frame the server sends. */
export type ServerFrame =
  | WelcomeFrame
  | ReplyFrame
  | ErrorFrame
  | AckFrame
  | (WireMessage & { type: "message" })
  | SubscribedFrame
  | TypingFrame
  | PresenceFrame
  | ReconnectFrame
  | ExpiringFrame
  | PingFrame;

/** Every frame the client sends; `type` selects which fields count. */
export interface ClientFrame {
  type:
    | "auth"
    | "subscribe"
    | "unsubscribe"
    | "join"
    | "leave"
    | "send"
    | "delete"
    | "typing"
    | "history"
    | "ping"
    | "pong"
    | "refresh";
  id?: string;
  token?: string;
  room?: string;
  after?: number;
  before?: number;
  limit?: number;
  text?: string;
  cmid?: string;
  seq?: number;
}
