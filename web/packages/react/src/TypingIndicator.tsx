import type { TypingUser } from "@parley/core";
import { useI18n } from "./i18n.tsx";

/** TypingIndicator names who is typing, in a polite live region. */
export function TypingIndicator(props: { typing: readonly TypingUser[]; className?: string }) {
  const { t } = useI18n();
  const names = props.typing.map((u) => u.name || u.user);
  const text =
    names.length === 0 ? "" : names.length === 1 ? t("typing.one", { name: names[0]! }) : names.length === 2 ? t("typing.two", { a: names[0]!, b: names[1]! }) : t("typing.many");
  return (
    <div className={`parley-typing ${props.className ?? ""}`} aria-live="polite">
      {text}
    </div>
  );
}
