import { create } from "zustand";

/** A screen of the app. */
export type Route = { name: "rooms" } | { name: "room"; id: string };

interface RouterState {
  route: Route;
  navigate(to: Route, opts?: { replace?: boolean }): void;
}

/** The app's path prefix: <base href> (/t/{tenant}/) plus "webview/" for the app entry. */
let prefix = "/";

/** parseRoute reads a route from a path relative to the prefix. */
export function parseRoute(rel: string): Route {
  const m = /^r\/([^/]+)\/?$/.exec(rel);
  return m ? { name: "room", id: decodeURIComponent(m[1]!) } : { name: "rooms" };
}

/** routePath returns the absolute path of a route. */
export function routePath(r: Route): string {
  return r.name === "room" ? `${prefix}r/${encodeURIComponent(r.id)}` : prefix;
}

function current(): Route {
  const path = location.pathname;
  return parseRoute(path.startsWith(prefix) ? path.slice(prefix.length) : "");
}

/** useRouter is the app's tiny history-based router. */
export const useRouter = create<RouterState>((set) => ({
  route: { name: "rooms" },
  navigate(to, opts) {
    const path = routePath(to);
    if (opts?.replace) history.replaceState(null, "", path);
    else history.pushState(null, "", path);
    set({ route: to });
  },
}));

/** initRouter sets the prefix and follows the browser's back/forward buttons. */
export function initRouter(entry: "web" | "webview"): void {
  const base = new URL(document.baseURI).pathname;
  prefix = (base.endsWith("/") ? base : base + "/") + (entry === "webview" ? "webview/" : "");
  useRouter.setState({ route: current() });
  addEventListener("popstate", () => useRouter.setState({ route: current() }));
}
