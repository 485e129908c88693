/** The embed's few strings, in Korean and English (no React, no catalog loader). */
const strings = {
  en: {
    waiting: "Waiting for the game…",
    connecting: "Connecting…",
    reconnecting: "Reconnecting…",
    offline: "Offline",
    refused: "Chat unavailable: sign-in refused",
    notAllowed: "Chat unavailable on this page",
    online: "{n} online",
    input: "Message",
    placeholder: "Say something…",
    send: "Send",
    sending: "sending…",
    failed: "not sent — tap to retry",
    deleted: "(deleted)",
    joined: "{n} joined",
    left: "{n} left",
    messages: "Chat messages",
  },
  ko: {
    waiting: "게임을 기다리는 중…",
    connecting: "연결 중…",
    reconnecting: "다시 연결하는 중…",
    offline: "오프라인",
    refused: "채팅을 사용할 수 없습니다: 인증 거부",
    notAllowed: "이 페이지에서는 채팅을 사용할 수 없습니다",
    online: "{n}명 접속 중",
    input: "메시지",
    placeholder: "메시지 입력…",
    send: "보내기",
    sending: "보내는 중…",
    failed: "전송 실패 — 눌러서 다시 보내기",
    deleted: "(삭제됨)",
    joined: "{n}님이 들어왔습니다",
    left: "{n}님이 나갔습니다",
    messages: "채팅 메시지",
  },
} as const;

export type Key = keyof (typeof strings)["en"];

/** translator picks ko or en from an override or the browser's languages. */
export function translator(override?: string | null): { lang: "ko" | "en"; t: (k: Key, n?: number | string) => string } {
  const prefs = [override, ...(navigator.languages ?? [navigator.language])];
  const lang = prefs.map((l) => l?.toLowerCase().split("-")[0]).find((l) => l === "ko" || l === "en") ?? "en";
  const dict = strings[lang];
  return { lang, t: (k, n) => dict[k].replace("{n}", String(n ?? "")) };
}
