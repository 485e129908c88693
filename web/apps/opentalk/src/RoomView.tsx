import { useCallback, useState } from "react";
import { ConnectionState, ErrorCode, ParleyError } from "@parley/core";
import {
  MessageInput,
  MessageList,
  TypingIndicator,
  useConnection,
  useI18n,
  useMembership,
  useParleyClient,
  useRoom,
  useRoomInfo,
} from "@parley/react";
import { routePath, useRouter } from "./router.ts";
import { codeOf } from "./RoomList.tsx";
import type { AppEnv } from "./app.tsx";

/** RoomView is one room: history, live messages, typing, presence, input. */
export function RoomView(props: { id: string; env: AppEnv }) {
  const { id, env } = props;
  const { t } = useI18n();
  const client = useParleyClient();
  const navigate = useRouter((s) => s.navigate);
  const info = useRoomInfo(id);
  const conn = useConnection();
  const [problem, setProblem] = useState<string | null>(null);
  const onError = useCallback((err: unknown) => {
    setProblem(err instanceof ParleyError ? err.code : "unknown");
  }, []);
  // Re-opens whenever problem clears (after joining, or on retry).
  const room = useRoom(id, { enabled: problem === null, onError });
  const { join, leave } = useMembership(id);
  const me = conn.user?.id;

  const share = () => {
    const url = new URL(routePath({ name: "room", id }).replace("/webview/", "/"), location.origin).toString();
    const title = info.data?.title ?? id;
    if (env.bridge) env.bridge.shareRoom({ id, title, url });
    else if (navigator.share) void navigator.share({ title, url }).catch(() => {});
    else void navigator.clipboard?.writeText(url);
  };
  const doJoin = () =>
    join.mutate(undefined, {
      onSuccess: () => setProblem(null),
    });
  const doLeave = () => {
    if (!confirm(t("room.leaveConfirm"))) return;
    leave.mutate(undefined, { onSuccess: () => navigate({ name: "rooms" }) });
  };
  const onDelete = (seq: number) => {
    if (confirm(t("messages.deleteConfirm"))) client.deleteMessage(id, seq).catch((e: unknown) => setProblem(codeOf(e)));
  };

  const online = room.sync === "live" ? room.online : (info.data?.online ?? room.online);
  const needsJoin = problem === ErrorCode.NotMember || problem === ErrorCode.Forbidden;

  return (
    <section className="ot-room-view" aria-labelledby={`room-${id}-title`}>
      <header className="ot-room-head">
        {env.entry === "web" ? (
          <button type="button" className="ot-back" onClick={() => navigate({ name: "rooms" })} aria-label={t("room.back")}>
            ←
          </button>
        ) : null}
        <div className="ot-room-heading">
          <h1 id={`room-${id}-title`}>{info.data?.title ?? id}</h1>
          <span className="ot-online" aria-live="polite">
            {t("room.online", { count: online })}
          </span>
        </div>
        <button type="button" className="parley-link" onClick={share}>
          {t("room.share")}
        </button>
        {!needsJoin ? (
          <button type="button" className="parley-link" onClick={doLeave}>
            {t("room.leave")}
          </button>
        ) : null}
      </header>
      {problem === ErrorCode.NotFound ? (
        <p className="ot-note" role="alert">
          {t("room.notFound")}
        </p>
      ) : needsJoin ? (
        <div className="ot-join">
          <p>{t("room.joinHint")}</p>
          <button type="button" className="ot-primary" onClick={doJoin} disabled={join.isPending}>
            {t("room.join")}
          </button>
          {join.isError ? <p role="alert">{t(`error.${codeOf(join.error)}`)}</p> : null}
        </div>
      ) : (
        <>
          {problem ? (
            <p className="ot-note" role="alert">
              {t("error.generic", { code: problem })}{" "}
              <button type="button" className="parley-link" onClick={() => setProblem(null)}>
                {t("messages.retry")}
              </button>
            </p>
          ) : null}
          <MessageList
            room={room}
            {...(me !== undefined ? { me } : {})}
            onLoadOlder={() => client.loadOlder(id)}
            onDelete={onDelete}
            onRetry={(cmid) => client.retry(id, cmid)}
            onDiscard={(cmid) => client.discard(id, cmid)}
            {...(env.bridge ? { onAuthorClick: (u: string) => env.bridge!.openProfile(u) } : {})}
          />
          <TypingIndicator typing={room.typing} />
          <MessageInput
            // Signed out, a send could never be delivered: the banner says why.
            disabled={conn.connection === ConnectionState.AuthNeeded}
            onSend={(text) => client.send(id, text)}
            onTyping={() => client.typing(id)}
            {...(conn.maxText !== undefined ? { maxLength: conn.maxText } : {})}
          />
        </>
      )}
    </section>
  );
}
