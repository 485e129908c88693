import { useEffect, useState } from "react";
import { ConnectionState } from "@parley/core";
import { useConnection, useParleyClient } from "./hooks.ts";
import { useI18n } from "./i18n.tsx";

/** Props of ConnectionBanner. */
export interface ConnectionBannerProps {
  /** offered when the session ended (auth_needed) */
  onSignIn?: () => void;
  className?: string;
}

/**
 * ConnectionBanner says, in a status region, when the chat is not live:
 * connecting, offline, reconnecting (with a countdown and "retry now"), or
 * signed out. It renders nothing while connected.
 */
export function ConnectionBanner(props: ConnectionBannerProps) {
  const client = useParleyClient();
  const snap = useConnection();
  const { t } = useI18n();
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (snap.connection !== ConnectionState.Reconnecting || !snap.retryAt) return;
    const id = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(id);
  }, [snap.connection, snap.retryAt]);

  let text: string | null = null;
  let action: { label: string; run: () => void } | null = null;
  switch (snap.connection) {
    case ConnectionState.Connecting:
      text = t("connection.connecting");
      break;
    case ConnectionState.Reconnecting: {
      const seconds = snap.retryAt ? Math.max(0, Math.ceil((snap.retryAt - now) / 1000)) : 0;
      text = seconds > 0 ? t("connection.reconnectingIn", { seconds }) : t("connection.reconnecting");
      action = { label: t("connection.retryNow"), run: () => client.retryNow() };
      break;
    }
    case ConnectionState.Offline:
      text = t("connection.offline");
      break;
    case ConnectionState.AuthNeeded:
      text = t("connection.authNeeded");
      if (props.onSignIn) action = { label: t("connection.signIn"), run: props.onSignIn };
      break;
    case ConnectionState.Closed:
      text = t("connection.closed");
      break;
    default:
      text = null;
  }
  return (
    <div className={`parley-banner ${props.className ?? ""}`} role="status" aria-live="polite" data-state={snap.connection} hidden={text === null}>
      {text}
      {action ? (
        <button type="button" className="parley-link" onClick={action.run}>
          {action.label}
        </button>
      ) : null}
    </div>
  );
}
