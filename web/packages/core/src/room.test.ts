import { describe, expect, it } from "vitest";
import { applyMessages, emptyRoom, newDeleteLog, SendState, type RoomState } from "./room.ts";
import type { WireMessage } from "./protocol.ts";

const msg = (seq: number, extra: Partial<WireMessage> = {}): WireMessage => ({
  room: "r",
  seq,
  kind: "text",
  user: "bob",
  name: "Bob",
  text: `m${seq}`,
  at: 1000 + seq,
  ...extra,
});

const seqs = (s: RoomState) => s.messages.map((m) => m.seq);

describe("applyMessages", () => {
  it("orders by seq and drops duplicates, whatever the arrival order", () => {
    let s = emptyRoom("r");
    s = applyMessages(s, [msg(3), msg(1)]).state;
    s = applyMessages(s, [msg(2), msg(3), msg(5)]).state;
    const r = applyMessages(s, [msg(4), msg(1), msg(5)]);
    expect(r.added.map((m) => m.seq)).toEqual([4]);
    expect(seqs(r.state)).toEqual([1, 2, 3, 4, 5]);
    expect(r.state.lastSeq).toBe(5);
  });

  it("returns the same state object when nothing is new", () => {
    const s = applyMessages(emptyRoom("r"), [msg(1), msg(2)]).state;
    const r = applyMessages(s, [msg(2), msg(1)]);
    expect(r.state).toBe(s);
    expect(r.added).toEqual([]);
  });

  it("applies a delete record to a loaded message, once", () => {
    const log = newDeleteLog();
    let s = applyMessages(emptyRoom("r"), [msg(1), msg(2)], { seen: log }).state;
    const del = msg(3, { kind: "delete", ref: 1, text: undefined });
    const r = applyMessages(s, [del], { seen: log });
    s = r.state;
    expect(r.added).toHaveLength(1);
    expect(s.messages[0]).toMatchObject({ seq: 1, deleted: true, text: "" });
    expect(seqs(s)).toEqual([1, 2]); // the delete record itself is not a message
    expect(s.lastSeq).toBe(3); // but it moves the resume point
    const again = applyMessages(s, [del], { seen: log });
    expect(again.added).toEqual([]);
    expect(again.state).toBe(s);
  });

  it("shows a message deleted when its delete record came first", () => {
    const log = newDeleteLog();
    let s = applyMessages(emptyRoom("r"), [msg(10), msg(11, { kind: "delete", ref: 4 })], { seen: log }).state;
    s = applyMessages(s, [msg(4), msg(5)], { seen: log }).state; // older history page
    expect(s.messages.find((m) => m.seq === 4)).toMatchObject({ deleted: true, text: "" });
    expect(s.messages.find((m) => m.seq === 5)).toMatchObject({ deleted: false, text: "m5" });
  });

  it("confirms this user's pending send by its cmid, not someone else's", () => {
    const pending = [
      { room: "r", cmid: "a", text: "hi", state: SendState.Sending, at: 1, attempts: 1 },
      { room: "r", cmid: "b", text: "yo", state: SendState.Sending, at: 2, attempts: 1 },
    ];
    const s = { ...emptyRoom("r"), pending };
    const r = applyMessages(s, [msg(1, { user: "me", cmid: "a" }), msg(2, { user: "eve", cmid: "b" })], { me: "me" });
    expect(r.state.pending.map((p) => p.cmid)).toEqual(["b"]);
  });

  it("clears the typing indicator of someone whose message arrived", () => {
    const s = { ...emptyRoom("r"), typing: [{ user: "bob", name: "Bob", until: 9e12 }, { user: "amy", name: "Amy", until: 9e12 }] };
    const r = applyMessages(s, [msg(1)]);
    expect(r.state.typing.map((t) => t.user)).toEqual(["amy"]);
  });

  it("stays fast with 5,000 messages arriving live", () => {
    let s = emptyRoom("r");
    const t0 = performance.now();
    for (let i = 1; i <= 5000; i++) s = applyMessages(s, [msg(i)]).state;
    expect(s.messages).toHaveLength(5000);
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});
