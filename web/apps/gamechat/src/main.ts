// The embeddable game chat: one room, nickname only, built on @parley/core
// with a few DOM calls (no UI framework, to stay far below the size budget).
import { ConnectionState, ParleyApi, ParleyClient, ParleyError, SendState, type RoomState } from "@parley/core";
import { ParentChannel } from "./embed.ts";
import { translator } from "./i18n.ts";
import "./style.css";

function meta(name: string): string {
  return document.querySelector<HTMLMetaElement>(`meta[name="${name}"]`)?.content ?? "";
}

const tenant = meta("parley-tenant") || "rps";
const roomId = meta("parley-room") || decodeURIComponent(location.pathname.split("/").filter(Boolean).pop() ?? "");
const allowed = meta("parley-parent-origins").split(/\s+/).filter(Boolean);
const { lang, t } = translator(new URLSearchParams(location.search).get("lang"));
document.documentElement.lang = lang;

// ---- DOM ----
const root = document.getElementById("chat")!;
const status = el("div", "gc-status");
status.setAttribute("role", "status");
const list = el("ol", "gc-list");
list.setAttribute("role", "log");
list.setAttribute("aria-live", "polite");
list.setAttribute("aria-label", t("messages"));
list.tabIndex = 0;
const form = el("form", "gc-form");
const label = el("label", "gc-hidden");
label.htmlFor = "gc-text";
label.textContent = t("input");
const input = el("input", "gc-input");
input.id = "gc-text";
input.autocomplete = "off";
input.placeholder = t("placeholder");
input.disabled = true;
const send = el("button", "gc-send");
send.type = "submit";
send.textContent = t("send");
send.disabled = true;
form.append(label, input, send);
root.append(status, list, form);
setStatus(t("waiting"));

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  e.className = cls;
  return e;
}
function setStatus(text: string, error = false): void {
  status.textContent = text;
  status.classList.toggle("gc-error", error);
}

// ---- parent channel ----
const channel = new ParentChannel(window, allowed, new URLSearchParams(location.search).get("parentOrigin"));
let token: string | null = null; // in memory only
let client: ParleyClient | null = null;
let unread = 0;
let assertionWaiter: ((assertion: string) => void) | null = null;

/** requestAssertion asks the parent for a fresh assertion (token refresh:
 * iframe sessions have no refresh cookie) and waits for it. */
function requestAssertion(): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      assertionWaiter = null;
      reject(new ParleyError("unauthenticated", "the page sent no fresh assertion"));
    }, 15_000);
    assertionWaiter = (a) => {
      clearTimeout(timer);
      assertionWaiter = null;
      resolve(a);
    };
    channel.post({ type: "parley:need-assertion" });
  });
}

if (allowed.length === 0) {
  setStatus(t("notAllowed"), true);
} else {
  channel.listen(
    (assertion) => {
      if (assertionWaiter) assertionWaiter(assertion);
      else void signIn(assertion);
    },
    () => channel.post({ type: "parley:error", code: "forbidden_origin" }),
  );
  channel.post({ type: "parley:ready" });
}

const api = new ParleyApi({ tenant, getToken: () => token ?? undefined });

async function signIn(assertion: string): Promise<void> {
  setStatus(t("connecting"));
  try {
    const issued = await api.exchangeAssertion(assertion, roomId);
    token = issued.token;
  } catch (err) {
    token = null;
    const code = err instanceof ParleyError ? err.code : "unavailable";
    setStatus(t("refused"), true);
    channel.post({ type: "parley:error", code });
    return;
  }
  if (client) {
    client.connect(); // a new assertion after auth-needed
    return;
  }
  client = new ParleyClient({
    tenant,
    api,
    getToken: () => token ?? undefined,
    refreshToken: async () => {
      const fresh = await api.exchangeAssertion(await requestAssertion(), roomId);
      token = fresh.token;
      return fresh;
    },
  });
  start(client);
}

function start(c: ParleyClient): void {
  c.state.subscribe(() => {
    const s = c.state.getSnapshot();
    const live = s.connection === ConnectionState.Connected;
    input.disabled = send.disabled = !(live || s.connection === ConnectionState.Reconnecting || s.connection === ConnectionState.Offline);
    if (s.connection === ConnectionState.AuthNeeded) {
      if (token !== null) {
        token = null;
        setStatus(t("refused"), true);
        channel.post({ type: "parley:error", code: s.lastError?.code ?? "unauthenticated" });
        channel.post({ type: "parley:need-assertion" }); // the next assertion reconnects
      }
    } else if (s.connection === ConnectionState.Reconnecting || s.connection === ConnectionState.Connecting) {
      setStatus(t(s.connection === ConnectionState.Connecting ? "connecting" : "reconnecting"));
    } else if (s.connection === ConnectionState.Offline) {
      setStatus(t("offline"));
    }
  });
  c.on("message", ({ message: m, live }) => {
    const me = c.state.getSnapshot().user?.id;
    if (!live || m.kind !== "text" || m.user === me) return;
    channel.post({ type: "parley:message", room: m.room, seq: m.seq, user: m.user ?? "", name: m.name ?? "", text: m.text ?? "", at: m.at });
    if (document.hidden || !document.hasFocus() || !atBottom()) {
      unread++;
      channel.post({ type: "parley:unread", count: unread });
    }
  });
  c.on("error", (e) => channel.post({ type: "parley:error", code: e.code }));
  const store = c.room(roomId);
  store.subscribe(() => render(store.getSnapshot(), c));
  c.connect();
  c.openRoom(roomId, 30).catch((err: unknown) => {
    const code = err instanceof ParleyError ? err.code : "unavailable";
    setStatus(`${t("refused")} (${code})`, true);
    channel.post({ type: "parley:error", code });
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    c.send(roomId, text);
    input.value = "";
  });
  input.addEventListener("input", () => input.value && c.typing(roomId));
}

// ---- rendering: keyed rows, newest 200 in the DOM ----
const MAX_ROWS = 200;
const rows = new Map<string, HTMLLIElement>();
const fmt = new Intl.DateTimeFormat(lang, { hour: "numeric", minute: "2-digit" });

function render(s: RoomState, c: ParleyClient): void {
  const stick = atBottom();
  const me = c.state.getSnapshot().user?.id;
  if (s.sync === "live") setStatus(t("online", s.online));
  const want: { key: string; make: () => HTMLLIElement; sig: string }[] = [];
  for (const m of s.messages.slice(-MAX_ROWS)) {
    const sig = `${m.deleted}`;
    const who = m.name ?? m.user ?? "";
    const text = m.deleted ? t("deleted") : m.kind === "system" && (m.event === "join" || m.event === "leave") ? t(m.event === "join" ? "joined" : "left", who) : m.text;
    want.push({ key: `m${m.seq}`, sig, make: () => row(who, text, m.user === me && m.kind !== "system", fmt.format(m.at), m.kind === "system") });
  }
  for (const p of s.pending) {
    const failed = p.state === SendState.Failed;
    want.push({
      key: `p${p.cmid}`,
      sig: p.state,
      make: () => {
        const li = row("", p.text, true, failed ? t("failed") : t("sending"), false);
        li.classList.add(failed ? "gc-failed" : "gc-sending");
        if (failed) {
          li.tabIndex = 0;
          li.setAttribute("role", "button");
          const retry = () => c.retry(roomId, p.cmid);
          li.addEventListener("click", retry);
          li.addEventListener("keydown", (e) => (e.key === "Enter" || e.key === " ") && retry());
        }
        return li;
      },
    });
  }
  const keep = new Set(want.map((w) => w.key));
  for (const [k, li] of rows) if (!keep.has(k)) (li.remove(), rows.delete(k));
  let prev: Element | null = null;
  for (const w of want) {
    let li = rows.get(w.key);
    if (!li || li.dataset["sig"] !== w.sig) {
      const fresh = w.make();
      fresh.dataset["sig"] = w.sig;
      if (li) li.replaceWith(fresh);
      li = fresh;
      rows.set(w.key, li);
    }
    const expected: Element | null = prev ? prev.nextElementSibling : list.firstElementChild;
    if (expected !== li) (prev ? prev.after(li) : list.prepend(li));
    prev = li;
  }
  if (stick) list.scrollTop = list.scrollHeight;
}

function row(name: string, text: string, own: boolean, meta: string, system: boolean): HTMLLIElement {
  const li = el("li", `gc-msg${own ? " gc-own" : ""}${system ? " gc-system" : ""}`);
  if (name && !own && !system) {
    const n = el("span", "gc-name");
    n.textContent = name; // text, never HTML
    li.append(n);
  }
  const body = el("span", "gc-text");
  body.textContent = text;
  const m = el("span", "gc-meta");
  m.textContent = meta;
  li.append(body, m);
  return li;
}

function atBottom(): boolean {
  return list.scrollHeight - list.scrollTop - list.clientHeight < 24;
}

function clearUnread(): void {
  if (unread === 0 || !atBottom()) return;
  unread = 0;
  channel.post({ type: "parley:unread", count: 0 });
}
list.addEventListener("scroll", clearUnread);
window.addEventListener("focus", clearUnread);
document.addEventListener("visibilitychange", clearUnread);

// Tell the parent how tall the content wants to be.
let lastHeight = 0;
new ResizeObserver(() => {
  const h = Math.ceil(status.offsetHeight + list.scrollHeight + form.offsetHeight);
  if (h !== lastHeight) {
    lastHeight = h;
    channel.post({ type: "parley:resize", height: h });
  }
}).observe(list);
