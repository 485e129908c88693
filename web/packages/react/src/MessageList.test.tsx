import { act } from "react";
import { createRoot } from "react-dom/client";
import { afterEach, describe, expect, it } from "vitest";
import { emptyRoom, type ChatMessage, type RoomState } from "@parley/core";
import { I18nProvider } from "./i18n.tsx";
import { MessageList, findRow } from "./MessageList.tsx";

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

function roomWith(n: number, text = (i: number) => `message ${i}`): RoomState {
  const messages: ChatMessage[] = [];
  for (let i = 1; i <= n; i++) messages.push({ room: "r", seq: i, kind: "text", user: i % 2 ? "me" : "bob", name: "N", text: text(i), deleted: false, at: i * 1000 });
  return { ...emptyRoom("r"), messages, lastSeq: n, hasOlder: false };
}

let container: HTMLDivElement;
afterEach(() => container?.remove());

function render(room: RoomState) {
  container = document.createElement("div");
  document.body.append(container);
  const root = createRoot(container);
  act(() =>
    root.render(
      <I18nProvider locale="en">
        <MessageList room={room} me="me" onDelete={() => {}} />
      </I18nProvider>,
    ),
  );
  return root;
}

describe("MessageList", () => {
  it("keeps only a window of 5,000 messages in the DOM", () => {
    const root = render(roomWith(5000));
    const rows = container.querySelectorAll(".parley-row");
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBeLessThan(100);
    const log = container.querySelector("[role=log]")!;
    expect(log.getAttribute("aria-live")).toBe("polite");
    expect(log.getAttribute("tabindex")).toBe("0");
    act(() => root.unmount());
  });

  it("renders user text as text, never as HTML", () => {
    const root = render(roomWith(3, () => `<img src=x onerror="alert(1)"><b>bold</b>`));
    expect(container.querySelector("img")).toBeNull();
    expect(container.querySelector(".parley-text b")).toBeNull();
    expect(container.textContent).toContain("<img src=x");
    act(() => root.unmount());
  });

  it("offers delete only on the user's own messages", () => {
    const root = render(roomWith(4));
    const own = container.querySelectorAll(".parley-own .parley-delete");
    const all = container.querySelectorAll(".parley-delete");
    expect(own.length).toBe(2);
    expect(all.length).toBe(2);
    act(() => root.unmount());
  });
});

describe("findRow", () => {
  it("finds the row containing a y offset", () => {
    const offsets = new Float64Array([0, 10, 30, 60]);
    expect([0, 9, 10, 29, 30, 59, 500, -5].map((y) => findRow(offsets, y))).toEqual([0, 0, 1, 1, 2, 2, 2, 0]);
  });
});
