import { describe, expect, it, vi } from "vitest";
import { ParentChannel, type EmbedWindow } from "./embed.ts";

/** A fake iframe window with a fake parent, so the test controls event.source. */
function frame(opts: { referrer?: string; ancestors?: string[] } = {}) {
  const parent = { postMessage: vi.fn() };
  const target = new EventTarget();
  const win: EmbedWindow = {
    parent,
    location: opts.ancestors ? { ancestorOrigins: opts.ancestors } : {},
    document: { referrer: opts.referrer ?? "" },
    addEventListener: (t, l) => target.addEventListener(t, l as EventListener),
    removeEventListener: (t, l) => target.removeEventListener(t, l as EventListener),
  };
  const deliver = (data: unknown, origin: string, source: unknown = parent) => {
    const e = new MessageEvent("message", { data, origin });
    Object.defineProperty(e, "source", { value: source });
    target.dispatchEvent(e);
  };
  return { win, parent, deliver };
}

describe("ParentChannel", () => {
  it("accepts an assertion only from an allowed origin and from the parent", () => {
    const { win, deliver } = frame();
    const ch = new ParentChannel(win, ["https://game.example"]);
    const got = vi.fn();
    const rejected = vi.fn();
    const off = ch.listen(got, rejected);
    deliver({ type: "parley:assertion", assertion: "forged" }, "https://evil.example");
    deliver({ type: "parley:assertion", assertion: "not-parent" }, "https://game.example", {});
    deliver({ type: "parley:assertion", assertion: "" }, "https://game.example");
    deliver("parley:assertion", "https://game.example");
    expect(got).not.toHaveBeenCalled();
    expect(rejected).toHaveBeenCalledWith("https://evil.example");
    deliver({ type: "parley:assertion", assertion: "good" }, "https://game.example");
    expect(got).toHaveBeenCalledWith("good", "https://game.example");
    expect(ch.origin).toBe("https://game.example");
    off();
    deliver({ type: "parley:assertion", assertion: "later" }, "https://game.example");
    expect(got).toHaveBeenCalledTimes(1);
  });

  it("posts with an explicit targetOrigin, never '*'", () => {
    const { win, parent, deliver } = frame();
    const ch = new ParentChannel(win, ["https://a.example", "https://b.example/"]);
    ch.post({ type: "parley:ready" });
    expect(parent.postMessage.mock.calls.map((c) => c[1])).toEqual(["https://a.example", "https://b.example"]);
    ch.listen(() => {});
    deliver({ type: "parley:assertion", assertion: "x" }, "https://b.example");
    parent.postMessage.mockClear();
    ch.post({ type: "parley:unread", count: 2 });
    expect(parent.postMessage.mock.calls).toEqual([[{ type: "parley:unread", count: 2 }, "https://b.example"]]);
  });

  it("knows the parent from ancestorOrigins or the referrer, if allowed", () => {
    expect(new ParentChannel(frame({ ancestors: ["https://a.example"] }).win, ["https://a.example"]).origin).toBe("https://a.example");
    expect(new ParentChannel(frame({ referrer: "https://a.example/game/1" }).win, ["https://a.example"]).origin).toBe("https://a.example");
    expect(new ParentChannel(frame({ referrer: "https://evil.example/" }).win, ["https://a.example"]).origin).toBeNull();
  });

  it("does nothing when not framed", () => {
    const postMessage = vi.fn();
    const top = { postMessage } as unknown as EmbedWindow & { postMessage: typeof postMessage };
    Object.assign(top, { parent: top, location: {}, document: { referrer: "" } });
    new ParentChannel(top, ["https://a.example"]).post({ type: "parley:ready" });
    expect(postMessage).not.toHaveBeenCalled();
  });
});
