// @parley/core — Parley's framework-free client SDK. This file is the whole
// public API: anything not exported here is internal.

export { ParleyClient, ConnectionState, randomId } from "./client.ts";
export type {
  ClientSnapshot,
  MessageEvent,
  NetworkMonitor,
  ParleyClientEvents,
  ParleyClientOptions,
  RefreshedToken,
  SocketConstructor,
  SocketLike,
} from "./client.ts";
export { ParleyApi } from "./api.ts";
export type { HistoryQuery, IssuedToken, Me, ParleyApiOptions, RoomPage, RoomQuery, ServiceEndpoint, ServiceName } from "./api.ts";
export { StateStore } from "./store.ts";
export type { Listener } from "./store.ts";
export { Emitter } from "./emitter.ts";
export { backoffDelay } from "./backoff.ts";
export type { BackoffOptions } from "./backoff.ts";
export { ParleyError, isTemporary } from "./errors.ts";
export { ErrorCode, CloseCode, FrameType } from "./codes.ts";
export { SendState, applyMessages, emptyRoom, indexOfSeq, insertionPoint, newDeleteLog } from "./room.ts";
export type { ChatMessage, DeleteLog, PendingMessage, RoomMerge, RoomState, TypingUser } from "./room.ts";
export type * from "./protocol.ts";
