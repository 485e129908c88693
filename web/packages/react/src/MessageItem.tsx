import { memo } from "react";
import { SendState } from "@parley/core";
import { useI18n } from "./i18n.tsx";
import type { ListItem } from "./MessageList.tsx";

/** What a user can do to a row. */
export interface MessageActions {
  onDelete?: (seq: number) => void;
  onRetry?: (cmid: string) => void;
  onDiscard?: (cmid: string) => void;
  onAuthorClick?: (user: string) => void;
}

/**
 * MessageItem draws one row. User text is rendered as a text node (React
 * escapes it): never as HTML.
 */
export const MessageItem = memo(function MessageItem(props: { item: ListItem; me: string | undefined } & MessageActions) {
  const { item, me } = props;
  const { t, time, dateTime } = useI18n();
  if (item.kind === "pending") {
    const p = item.pending;
    const failed = p.state === SendState.Failed;
    return (
      <div className={`parley-msg parley-own parley-${p.state}`} data-cmid={p.cmid}>
        <p className="parley-text">{p.text}</p>
        <div className="parley-meta">
          {failed ? (
            <>
              <span className="parley-status" role="alert">
                {t("messages.failed")}
                {p.error ? ` · ${t(`error.${p.error}`) === `error.${p.error}` ? p.error : t(`error.${p.error}`)}` : ""}
              </span>
              {props.onRetry ? (
                <button type="button" className="parley-link" onClick={() => props.onRetry!(p.cmid)}>
                  {t("messages.retry")}
                </button>
              ) : null}
              {props.onDiscard ? (
                <button type="button" className="parley-link" onClick={() => props.onDiscard!(p.cmid)}>
                  {t("messages.discard")}
                </button>
              ) : null}
            </>
          ) : (
            <span className="parley-status">{t("messages.sending")}</span>
          )}
        </div>
      </div>
    );
  }
  const m = item.message;
  if (m.kind === "system") {
    const key = m.event === "join" ? "messages.joined" : m.event === "leave" ? "messages.left" : null;
    return (
      <div className="parley-msg parley-system" data-seq={m.seq}>
        {key ? t(key, { name: m.name ?? m.user ?? "" }) : m.text}
      </div>
    );
  }
  const own = me !== undefined && m.user === me;
  return (
    <div className={`parley-msg${own ? " parley-own" : ""}${m.deleted ? " parley-deleted" : ""}`} data-seq={m.seq}>
      <div className="parley-head">
        {props.onAuthorClick && m.user && !own ? (
          <button type="button" className="parley-author parley-link" onClick={() => props.onAuthorClick!(m.user!)}>
            {m.name ?? m.user}
          </button>
        ) : (
          <span className="parley-author">{own ? t("messages.you") : (m.name ?? m.user)}</span>
        )}
        <time className="parley-time" dateTime={new Date(m.at).toISOString()} title={dateTime(m.at)}>
          {time(m.at)}
        </time>
      </div>
      <p className="parley-text">{m.deleted ? <em>{t("messages.deleted")}</em> : m.text}</p>
      {own && !m.deleted && props.onDelete ? (
        <button
          type="button"
          className="parley-link parley-delete"
          aria-label={`${t("messages.delete")}: ${m.text.slice(0, 40)}`}
          onClick={() => props.onDelete!(m.seq)}
        >
          {t("messages.delete")}
        </button>
      ) : null}
    </div>
  );
});
