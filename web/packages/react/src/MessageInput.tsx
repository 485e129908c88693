import { useId, useState, type FormEvent, type KeyboardEvent } from "react";
import { useI18n } from "./i18n.tsx";

/** Props of MessageInput. */
export interface MessageInputProps {
  onSend: (text: string) => void;
  /** called while the user types (the client throttles it) */
  onTyping?: () => void;
  /** max length in characters (the tenant's, from the welcome frame) */
  maxLength?: number;
  disabled?: boolean;
  placeholder?: string;
  className?: string;
}

/**
 * MessageInput is a labelled text area: Enter sends, Shift+Enter adds a line,
 * and a too-long message is announced instead of being cut.
 */
export function MessageInput(props: MessageInputProps) {
  const { t } = useI18n();
  const [text, setText] = useState("");
  const id = useId();
  const length = [...text].length;
  const over = props.maxLength !== undefined ? length - props.maxLength : -1;
  const canSend = text.trim() !== "" && over <= 0 && !props.disabled;

  const submit = (e?: FormEvent) => {
    e?.preventDefault();
    if (!canSend) return;
    props.onSend(text.trim());
    setText("");
  };
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) submit(e);
  };
  return (
    <form className={`parley-input ${props.className ?? ""}`} onSubmit={submit}>
      <label htmlFor={id} className="parley-visually-hidden">
        {t("input.label")}
      </label>
      <textarea
        id={id}
        rows={1}
        value={text}
        placeholder={props.placeholder ?? t("input.placeholder")}
        disabled={props.disabled}
        aria-invalid={over > 0}
        aria-describedby={over > 0 ? `${id}-over` : undefined}
        onChange={(e) => {
          setText(e.target.value);
          if (e.target.value) props.onTyping?.();
        }}
        onKeyDown={onKeyDown}
      />
      {over > 0 ? (
        <span id={`${id}-over`} className="parley-over" role="status">
          {t("input.tooLong", { count: over })}
        </span>
      ) : null}
      <button type="submit" className="parley-send" disabled={!canSend}>
        {t("input.send")}
      </button>
    </form>
  );
}
