import { useEffect, useId, useState, type FormEvent } from "react";
import type { RoomInfo } from "@parley/core";
import { useCreateRoom, useI18n, useParleyClient, useRoomCountsFollow, useRoomSearch, useStateStore } from "@parley/react";
import { routePath, useRouter } from "./router.ts";
import type { AppEnv } from "./app.tsx";

/** RoomList searches rooms by title or #tag (most active first) and creates new ones. */
export function RoomList(props: { env: AppEnv; activeRoom: string | null }) {
  const { t } = useI18n();
  const [input, setInput] = useState("");
  const [query, setQuery] = useState({ q: "", tag: "" });
  const [creating, setCreating] = useState(false);
  useEffect(() => {
    const id = setTimeout(() => {
      const s = input.trim();
      setQuery(s.startsWith("#") ? { q: "", tag: s.slice(1) } : { q: s, tag: "" });
    }, 250);
    return () => clearTimeout(id);
  }, [input]);
  const rooms = useRoomSearch(query.q, query.tag);
  useRoomCountsFollow();

  return (
    <div className="ot-rooms">
      <div className="ot-rooms-bar">
        <label className="ot-search">
          <span className="parley-visually-hidden">{t("rooms.searchLabel")}</span>
          <input type="search" value={input} placeholder={t("rooms.search")} onChange={(e) => setInput(e.target.value)} />
        </label>
        <button type="button" className="ot-primary" onClick={() => setCreating((c) => !c)} aria-expanded={creating}>
          {t("rooms.create")}
        </button>
      </div>
      {query.tag ? (
        <p className="ot-filter">
          {t("rooms.tagFilter", { tag: query.tag })}{" "}
          <button type="button" className="parley-link" onClick={() => setInput("")}>
            {t("rooms.clearTag")}
          </button>
        </p>
      ) : null}
      {creating ? <CreateRoom onDone={() => setCreating(false)} /> : null}
      {rooms.isPending ? <p className="ot-note">{t("rooms.loading")}</p> : null}
      {rooms.isError ? <p className="ot-note" role="alert">{t("error.generic", { code: codeOf(rooms.error) })}</p> : null}
      {rooms.data && rooms.data.length === 0 ? <p className="ot-note">{t("rooms.empty")}</p> : null}
      <ul className="ot-room-list">
        {rooms.data?.map((r) => (
          <RoomCard key={r.id} room={r} active={r.id === props.activeRoom} onTag={(tag) => setInput(`#${tag}`)} />
        ))}
      </ul>
      {rooms.hasNextPage ? (
        <button type="button" className="parley-link ot-more" onClick={() => void rooms.fetchNextPage()}>
          {t("rooms.more")}
        </button>
      ) : null}
    </div>
  );
}

function RoomCard(props: { room: RoomInfo; active: boolean; onTag: (tag: string) => void }) {
  const { t, relative } = useI18n();
  const r = props.room;
  const navigate = useRouter((s) => s.navigate);

  return (
    <li className={`ot-room${props.active ? " ot-active" : ""}`}>
      <a
        href={routePath({ name: "room", id: r.id })}
        aria-current={props.active ? "page" : undefined}
        onClick={(e) => {
          e.preventDefault();
          navigate({ name: "room", id: r.id });
        }}
      >
        <span className="ot-room-title">{r.title}</span>
        {r.topic ? <span className="ot-room-topic">{r.topic}</span> : null}
        <span className="ot-room-stats">
          {t("rooms.members", { count: r.members })} · <span className="ot-online">{props.active ? <LiveOnline id={r.id} listed={r.online} /> : t("rooms.online", { count: r.online })}</span> ·{" "}
          {t("rooms.active", { when: relative(r.lastActivity) })}
        </span>
      </a>
      {r.tags.length > 0 ? (
        <div className="ot-tags">
          {r.tags.map((tag) => (
            <button key={tag} type="button" className="ot-tag" onClick={() => props.onTag(tag)}>
              #{tag}
            </button>
          ))}
        </div>
      ) : null}
    </li>
  );
}

/** LiveOnline is the open room's online count, live once the room is; the
 * list's own count is as of its last fetch. */
function LiveOnline(props: { id: string; listed: number }) {
  const { t } = useI18n();
  const live = useStateStore(useParleyClient().room(props.id), (s) => (s.sync === "live" ? s.online : null));
  return <>{t("rooms.online", { count: live ?? props.listed })}</>;
}

function CreateRoom(props: { onDone: () => void }) {
  const { t } = useI18n();
  const create = useCreateRoom();
  const navigate = useRouter((s) => s.navigate);
  const id = useId();
  const [title, setTitle] = useState("");
  const [topic, setTopic] = useState("");
  const [tags, setTags] = useState("");
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!title.trim()) return;
    const tagList = tags
      .split(/[,\s]+/)
      .map((s) => s.replace(/^#/, "").trim())
      .filter(Boolean);
    create.mutate(
      { title: title.trim(), topic: topic.trim(), tags: tagList },
      {
        onSuccess: (room) => {
          props.onDone();
          navigate({ name: "room", id: room.id });
        },
      },
    );
  };
  return (
    <form className="ot-create" onSubmit={submit} aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>{t("create.title")}</h2>
      <label>
        {t("create.name")}
        <input required maxLength={100} value={title} onChange={(e) => setTitle(e.target.value)} autoFocus />
      </label>
      <label>
        {t("create.topic")}
        <input maxLength={300} value={topic} onChange={(e) => setTopic(e.target.value)} />
      </label>
      <label>
        {t("create.tags")}
        <input value={tags} onChange={(e) => setTags(e.target.value)} />
      </label>
      {create.isError ? <p role="alert" className="ot-error">{t("error.generic", { code: codeOf(create.error) })}</p> : null}
      <div className="ot-actions">
        <button type="button" className="parley-link" onClick={props.onDone}>
          {t("create.cancel")}
        </button>
        <button type="submit" className="ot-primary" disabled={create.isPending}>
          {t("create.submit")}
        </button>
      </div>
    </form>
  );
}

/** codeOf returns the error code of a ParleyError, or "unknown". */
export function codeOf(err: unknown): string {
  return typeof err === "object" && err && "code" in err ? String((err as { code: unknown }).code) : "unknown";
}
