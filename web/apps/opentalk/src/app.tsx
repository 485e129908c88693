import { StrictMode, useEffect, useState } from "react";
import { createRoot } from "react-dom/client";
import { ParleyApi, ParleyClient } from "@parley/core";
import { ConnectionBanner, ParleyProvider, useI18n } from "@parley/react";
import "@parley/react/styles.css";
import "./app.css";
import en from "./locales/en.json";
import ko from "./locales/ko.json";
import type { NativeBridge } from "./bridge.ts";
import { initRouter, useRouter } from "./router.ts";
import { RoomList } from "./RoomList.tsx";
import { RoomView } from "./RoomView.tsx";

/** Where the app runs: the web entry, or the app-WebView entry with a native bridge. */
export interface AppEnv {
  entry: "web" | "webview";
  bridge?: NativeBridge;
}

function meta(name: string): string | null {
  return document.querySelector<HTMLMetaElement>(`meta[name="${name}"]`)?.content || null;
}

const LANG_KEY = "parley.lang"; // a display preference only; never a credential

/** startApp wires the client (cookie auth, REST seam) and renders the app. */
export function startApp(env: AppEnv): void {
  initRouter(env.entry);
  const tenant = meta("parley-tenant") ?? "opentalk";
  const api = new ParleyApi({ tenant });
  const client = new ParleyClient({
    tenant,
    api,
    // The parley_at_opentalk cookie authenticates the socket; refresh rotates it and
    // returns the new token, which is handed over the open socket.
    refreshToken: () => api.refresh(),
  });
  if (env.bridge) {
    const bridge = env.bridge;
    client.on("auth-needed", () => bridge.authNeeded());
    bridge.onPushOpen(({ room }) => useRouter.getState().navigate({ name: "room", id: room }));
  }
  const root = createRoot(document.getElementById("root")!);
  root.render(
    <StrictMode>
      <Root client={client} env={env} />
    </StrictMode>,
  );
  env.bridge?.ready();
}

function Root(props: { client: ParleyClient; env: AppEnv }) {
  const [lang, setLang] = useState<string | null>(
    () => new URLSearchParams(location.search).get("lang") ?? localStorage.getItem(LANG_KEY),
  );
  const choose = (l: string) => {
    localStorage.setItem(LANG_KEY, l);
    setLang(l);
  };
  return (
    <ParleyProvider client={props.client} locale={lang} messages={{ en, ko }}>
      <Shell env={props.env} onLang={choose} />
    </ParleyProvider>
  );
}

function Shell(props: { env: AppEnv; onLang: (l: string) => void }) {
  const { t, locale } = useI18n();
  const route = useRouter((s) => s.route);
  const webview = props.env.entry === "webview";
  useEffect(() => {
    document.documentElement.lang = locale;
    document.title = t("app.title");
  }, [locale, t]);
  // The host's sign-in page (from the tenant config) starts the session
  // exchange again; without one, reloading retries with whatever cookie is left.
  const signInUrl = meta("parley-sign-in");
  const signIn = () =>
    props.env.bridge ? props.env.bridge.authNeeded() : signInUrl ? location.assign(signInUrl) : location.reload();
  return (
    <div className={`ot-app ${webview ? "ot-webview" : "ot-web"}`} data-route={route.name}>
      {webview ? null : (
        <header className="ot-topbar">
          <a className="ot-brand" href={new URL(document.baseURI).pathname} onClick={(e) => {
            e.preventDefault();
            useRouter.getState().navigate({ name: "rooms" });
          }}>
            {t("app.title")}
          </a>
          <label className="ot-lang">
            <span className="parley-visually-hidden">{t("lang.label")}</span>
            <select value={locale} onChange={(e) => props.onLang(e.target.value)}>
              <option value="ko">한국어</option>
              <option value="en">English</option>
            </select>
          </label>
        </header>
      )}
      <ConnectionBanner onSignIn={signIn} />
      <div className="ot-layout">
        <aside className="ot-list" aria-label={t("rooms.searchLabel")}>
          <RoomList env={props.env} activeRoom={route.name === "room" ? route.id : null} />
        </aside>
        <main className="ot-main">
          {route.name === "room" ? <RoomView key={route.id} id={route.id} env={props.env} /> : <div className="ot-placeholder" />}
        </main>
      </div>
    </div>
  );
}
