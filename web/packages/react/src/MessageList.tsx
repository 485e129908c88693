import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type ReactNode } from "react";
import type { ChatMessage, PendingMessage, RoomState } from "@parley/core";
import { useI18n } from "./i18n.tsx";
import { MessageItem, type MessageActions } from "./MessageItem.tsx";

/** One row of the list: a confirmed message or one of the user's pending sends. */
export type ListItem =
  | { key: string; kind: "message"; message: ChatMessage }
  | { key: string; kind: "pending"; pending: PendingMessage };

/** Props of MessageList. */
export interface MessageListProps extends MessageActions {
  room: RoomState;
  /** the signed-in user's id (own messages get a delete button) */
  me?: string;
  /** called near the top when room.hasOlder; the list keeps its position */
  onLoadOlder?: () => Promise<unknown> | void;
  /** draws one row; default MessageItem */
  renderItem?: (item: ListItem, me: string | undefined) => ReactNode;
  /** height guess of a row not measured yet, px */
  estimateHeight?: number;
  /** extra px rendered above and below the viewport */
  overscan?: number;
  className?: string;
}

const BOTTOM_SLACK = 48;

/**
 * MessageList is a virtualized, accessible message log: only the rows near
 * the viewport are in the DOM (5,000 messages cost the same as 50), rows are
 * measured as they render, the view sticks to the newest message while the
 * user is at the bottom, keeps its place when older history is prepended or
 * rows change height, and offers "jump to latest" with a count of what
 * arrived while the user was reading above. It is a polite live region, and
 * keyboard-scrollable (it takes focus; arrows, Page Up/Down, Home, End).
 */
export function MessageList(props: MessageListProps) {
  const { room, me, onLoadOlder, estimateHeight = 64, overscan = 600 } = props;
  const { t } = useI18n();
  const scrollRef = useRef<HTMLDivElement>(null);
  const heights = useRef(new Map<string, number>());
  const [measureVersion, setMeasureVersion] = useState(0);
  const [view, setView] = useState({ top: 0, height: 0 });
  const stick = useRef(true);
  const [atBottom, setAtBottom] = useState(true);
  const anchor = useRef<{ key: string; delta: number } | null>(null);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const unseenFrom = useRef<number | null>(null);

  const items: ListItem[] = useMemo(() => {
    const out: ListItem[] = room.messages.map((m) => ({ key: `m${m.seq}`, kind: "message", message: m }));
    for (const p of room.pending) out.push({ key: `p${p.cmid}`, kind: "pending", pending: p });
    return out;
  }, [room.messages, room.pending]);

  // Prefix sums of row heights: offsets[i] is the top of row i.
  const { offsets, index } = useMemo(() => {
    const offsets = new Float64Array(items.length + 1);
    const index = new Map<string, number>();
    for (let i = 0; i < items.length; i++) {
      const key = items[i]!.key;
      index.set(key, i);
      offsets[i + 1] = offsets[i]! + (heights.current.get(key) ?? estimateHeight);
    }
    return { offsets, index };
    // measureVersion: recompute when a row's measured height changed.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [items, measureVersion, estimateHeight]);
  const total = offsets[items.length] ?? 0;

  const first = Math.max(0, findRow(offsets, view.top - overscan));
  const last = Math.min(items.length - 1, findRow(offsets, view.top + view.height + overscan));

  const captureAnchor = useCallback(() => {
    const el = scrollRef.current;
    if (!el) return;
    const i = findRow(offsets, el.scrollTop);
    const item = items[i];
    anchor.current = item ? { key: item.key, delta: offsets[i]! - el.scrollTop } : null;
  }, [items, offsets]);

  // After every layout change: stay at the bottom, or keep the anchor row where it was.
  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (!el) return;
    if (stick.current) {
      el.scrollTop = el.scrollHeight;
    } else if (anchor.current) {
      const i = index.get(anchor.current.key);
      if (i !== undefined) {
        const want = offsets[i]! - anchor.current.delta;
        if (Math.abs(el.scrollTop - want) > 0.5) el.scrollTop = want;
      }
    }
    captureAnchor();
  }, [offsets, index, captureAnchor]);

  const onScroll = useCallback(() => {
    const el = scrollRef.current;
    if (!el) return;
    const bottom = el.scrollHeight - el.scrollTop - el.clientHeight < BOTTOM_SLACK;
    stick.current = bottom;
    if (bottom !== atBottom) {
      setAtBottom(bottom);
      unseenFrom.current = bottom ? null : items.length;
    }
    captureAnchor();
    setView((v) => (v.top === el.scrollTop && v.height === el.clientHeight ? v : { top: el.scrollTop, height: el.clientHeight }));
  }, [atBottom, captureAnchor, items.length]);

  useEffect(() => {
    const el = scrollRef.current;
    if (!el) return;
    setView({ top: el.scrollTop, height: el.clientHeight });
    if (typeof ResizeObserver === "undefined") return;
    const ro = new ResizeObserver(() => setView({ top: el.scrollTop, height: el.clientHeight }));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  // Load older history when the user nears the top.
  useEffect(() => {
    if (!onLoadOlder || !room.hasOlder || loadingOlder || view.top > 400 || items.length === 0) return;
    setLoadingOlder(true);
    Promise.resolve(onLoadOlder()).finally(() => setLoadingOlder(false));
  }, [onLoadOlder, room.hasOlder, loadingOlder, view.top, items.length]);

  // Row measurement.
  const observer = useMemo(() => {
    if (typeof ResizeObserver === "undefined") return null;
    return new ResizeObserver((entries) => {
      let changed = false;
      for (const e of entries) {
        const key = (e.target as HTMLElement).dataset["key"];
        if (!key) continue;
        const h = Math.ceil((e.target as HTMLElement).offsetHeight);
        if (h > 0 && heights.current.get(key) !== h) {
          heights.current.set(key, h);
          changed = true;
        }
      }
      if (changed) setMeasureVersion((v) => v + 1);
    });
  }, []);
  useEffect(() => () => observer?.disconnect(), [observer]);
  const measure = useCallback(
    (el: HTMLDivElement | null) => {
      if (!el) return;
      const key = el.dataset["key"]!;
      const h = el.offsetHeight;
      if (h > 0 && heights.current.get(key) !== h) {
        heights.current.set(key, h);
        queueMicrotask(() => setMeasureVersion((v) => v + 1));
      }
      observer?.observe(el);
    },
    [observer],
  );

  const jumpToLatest = useCallback(() => {
    const el = scrollRef.current;
    if (!el) return;
    stick.current = true;
    setAtBottom(true);
    unseenFrom.current = null;
    el.scrollTop = el.scrollHeight;
    el.focus();
  }, []);

  const unseen = !atBottom && unseenFrom.current !== null ? Math.max(0, items.length - unseenFrom.current) : 0;
  const rows: ReactNode[] = [];
  if (items.length > 0) {
    for (let i = first; i <= last; i++) {
      const item = items[i]!;
      rows.push(
        <div key={item.key} data-key={item.key} ref={measure} className="parley-row" style={{ transform: `translateY(${offsets[i]}px)` }}>
          {props.renderItem ? props.renderItem(item, me) : <MessageItem item={item} me={me} {...actions(props)} />}
        </div>,
      );
    }
  }

  return (
    <div className={`parley-messages ${props.className ?? ""}`}>
      <div
        ref={scrollRef}
        className="parley-scroll"
        role="log"
        aria-live="polite"
        aria-relevant="additions"
        aria-label={t("messages.label")}
        aria-busy={loadingOlder}
        tabIndex={0}
        onScroll={onScroll}
      >
        <div className="parley-history-edge" aria-hidden={!loadingOlder && room.hasOlder}>
          {loadingOlder ? t("messages.loadingOlder") : !room.hasOlder && items.length > 0 ? t("messages.beginning") : null}
        </div>
        {items.length === 0 ? <p className="parley-empty">{t("messages.empty")}</p> : null}
        <div className="parley-rows" style={{ height: `${total}px` }}>
          {rows}
        </div>
      </div>
      {!atBottom ? (
        <button type="button" className="parley-jump" onClick={jumpToLatest}>
          {t("messages.jumpToLatest")}
          {unseen > 0 ? <span className="parley-jump-count"> · {t("messages.newCount", { count: unseen })}</span> : null}
        </button>
      ) : null}
    </div>
  );
}

function actions(p: MessageActions): MessageActions {
  const a: MessageActions = {};
  if (p.onDelete) a.onDelete = p.onDelete;
  if (p.onRetry) a.onRetry = p.onRetry;
  if (p.onDiscard) a.onDiscard = p.onDiscard;
  if (p.onAuthorClick) a.onAuthorClick = p.onAuthorClick;
  return a;
}

/** findRow returns the index of the row containing y (binary search over offsets). */
export function findRow(offsets: Float64Array, y: number): number {
  const n = offsets.length - 1;
  if (n <= 0) return 0;
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (offsets[mid]! <= y) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
