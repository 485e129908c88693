import type { WireMessage } from "./protocol.ts";
import type { ErrorCode } from "./codes.ts";

/** A confirmed room message: stored by the server, with its seq. */
export interface ChatMessage {
  room: string;
  seq: number;
  kind: "text" | "system";
  /** system: join | leave | announce */
  event?: string;
  user?: string;
  name?: string;
  text: string;
  cmid?: string;
  deleted: boolean;
  /** Unix ms */
  at: number;
}

/** Delivery state of a message this client sent. */
export const SendState = {
  /** queued or on the wire, not acknowledged yet */
  Sending: "sending",
  /** stored by the server */
  Sent: "sent",
  /** refused; `retry()` sends it again with the same client message id */
  Failed: "failed",
} as const;
export type SendState = (typeof SendState)[keyof typeof SendState];

/** A message this client sent that the room has not confirmed yet. */
export interface PendingMessage {
  room: string;
  /** client message id: the idempotency key of every attempt */
  cmid: string;
  text: string;
  state: SendState;
  /** why it failed, when state is "failed" */
  error?: ErrorCode | string;
  /** Unix ms when the user sent it */
  at: number;
  attempts: number;
}

/** Someone typing in a room. */
export interface TypingUser {
  user: string;
  name: string;
  /** Unix ms after which the indicator disappears */
  until: number;
}

/** Everything a UI needs to draw one room. */
export interface RoomState {
  id: string;
  /** confirmed messages, ordered by seq, no duplicates, deletes applied */
  messages: readonly ChatMessage[];
  /** this client's unconfirmed sends, in the order they were made */
  pending: readonly PendingMessage[];
  /** highest seq seen from the room (resume point) */
  lastSeq: number;
  /** whether older history may exist before messages[0] */
  hasOlder: boolean;
  online: number;
  typing: readonly TypingUser[];
  /** "live" once catch-up finished on the current connection */
  sync: "idle" | "subscribing" | "live";
}

/** emptyRoom is the state of a room nothing is known about. */
export function emptyRoom(id: string): RoomState {
  return { id, messages: [], pending: [], lastSeq: 0, hasOlder: true, online: 0, typing: [], sync: "idle" };
}

/** DeleteLog remembers a room's delete records: which were applied (so a
 * replayed one is a no-op) and which seqs they deleted (so a message loaded
 * later from older history is shown deleted). */
export interface DeleteLog {
  deleteSeqs: Set<number>;
  deletedRefs: Set<number>;
}

/** newDeleteLog returns an empty DeleteLog. */
export function newDeleteLog(): DeleteLog {
  return { deleteSeqs: new Set(), deletedRefs: new Set() };
}

/** RoomMerge is what applying wire records changed. */
export interface RoomMerge {
  state: RoomState;
  /** records that were new (not duplicates), in seq order */
  added: WireMessage[];
}

/**
 * applyMessages merges wire records (live, catch-up or history, in any order,
 * duplicates allowed) into a room: text and system records are inserted by
 * seq unless already present; delete records blank their target (now or,
 * when the target arrives later, then); pending sends whose cmid shows up from
 * this user are dropped from the outbox view. Returns the same state object
 * when nothing changed.
 */
export function applyMessages(
  room: RoomState,
  records: readonly WireMessage[],
  opts: { me?: string; seen?: DeleteLog } = {},
): RoomMerge {
  if (records.length === 0) return { state: room, added: [] };
  const sorted = [...records].sort((a, b) => a.seq - b.seq);
  const seen = opts.seen ?? newDeleteLog();
  let messages: ChatMessage[] | null = null; // copied on first change
  let lastSeq = room.lastSeq;
  const added: WireMessage[] = [];
  const confirmedCmids = new Set<string>();
  const list = () => (messages ??= room.messages.slice());

  for (const r of sorted) {
    if (r.seq > lastSeq) lastSeq = r.seq;
    if (r.kind === "delete") {
      if (r.ref === undefined || seen.deleteSeqs.has(r.seq)) continue;
      seen.deleteSeqs.add(r.seq);
      seen.deletedRefs.add(r.ref);
      added.push(r);
      const i = indexOfSeq(messages ?? room.messages, r.ref);
      if (i >= 0 && !(messages ?? room.messages)[i]!.deleted) {
        const l = list();
        l[i] = { ...l[i]!, deleted: true, text: "" };
      }
      continue;
    }
    const msgs = messages ?? room.messages;
    const at = insertionPoint(msgs, r.seq);
    if (at < msgs.length && msgs[at]!.seq === r.seq) continue; // duplicate
    const m = toChatMessage(r, seen.deletedRefs.has(r.seq));
    const l = list();
    if (at === l.length) l.push(m);
    else l.splice(at, 0, m);
    added.push(r);
    if (r.cmid && opts.me !== undefined && r.user === opts.me) confirmedCmids.add(r.cmid);
  }

  let pending = room.pending;
  if (confirmedCmids.size > 0 && pending.some((p) => confirmedCmids.has(p.cmid))) {
    pending = pending.filter((p) => !confirmedCmids.has(p.cmid));
  }
  let typing = room.typing;
  if (typing.length > 0) {
    const spoke = new Set(added.filter((r) => r.kind === "text").map((r) => r.user));
    if (typing.some((t) => spoke.has(t.user))) typing = typing.filter((t) => !spoke.has(t.user));
  }
  if (messages === null && lastSeq === room.lastSeq && pending === room.pending && typing === room.typing) {
    return { state: room, added };
  }
  return {
    state: { ...room, messages: messages ?? room.messages, lastSeq, pending, typing },
    added,
  };
}

function toChatMessage(r: WireMessage, deleted: boolean): ChatMessage {
  const m: ChatMessage = {
    room: r.room,
    seq: r.seq,
    kind: r.kind === "system" ? "system" : "text",
    text: deleted || r.deleted ? "" : (r.text ?? ""),
    deleted: deleted || r.deleted === true,
    at: r.at,
  };
  if (r.event !== undefined) m.event = r.event;
  if (r.user !== undefined) m.user = r.user;
  if (r.name !== undefined) m.name = r.name;
  if (r.cmid !== undefined) m.cmid = r.cmid;
  return m;
}

/** insertionPoint is the index of the first message with seq >= seq (binary search). */
export function insertionPoint(msgs: readonly ChatMessage[], seq: number): number {
  // Fast path: live messages append at the end.
  const n = msgs.length;
  if (n === 0 || msgs[n - 1]!.seq < seq) return n;
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (msgs[mid]!.seq < seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** indexOfSeq returns the index of the message with seq, or -1. */
export function indexOfSeq(msgs: readonly ChatMessage[], seq: number): number {
  const i = insertionPoint(msgs, seq);
  return i < msgs.length && msgs[i]!.seq === seq ? i : -1;
}
