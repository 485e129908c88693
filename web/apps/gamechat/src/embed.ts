/**
 * The embed API between the game page (parent) and this iframe. Every
 * message is a plain object with a "parley:" type:
 *
 *   parent -> iframe  {type:"parley:assertion", assertion}
 *   iframe -> parent  {type:"parley:ready"}            (loaded: send an assertion)
 *                     {type:"parley:need-assertion"}   (token expiring or refused: send a fresh one)
 *                     {type:"parley:resize", height}
 *                     {type:"parley:unread", count}
 *                     {type:"parley:message", room, seq, user, name, text, at}
 *                     {type:"parley:error", code}
 *
 * The iframe accepts messages only from window.parent and only from the
 * tenant's allowed origins, and always posts with an explicit targetOrigin.
 */

/** What the parent may send. */
export interface AssertionMessage {
  type: "parley:assertion";
  assertion: string;
}

/** What the iframe sends. */
export type EmbedEvent =
  | { type: "parley:ready" }
  | { type: "parley:need-assertion" }
  | { type: "parley:resize"; height: number }
  | { type: "parley:unread"; count: number }
  | { type: "parley:message"; room: string; seq: number; user: string; name: string; text: string; at: number }
  | { type: "parley:error"; code: string };

/** The parts of window the channel uses (a real Window satisfies it). */
export interface EmbedWindow {
  readonly parent: { postMessage(message: unknown, targetOrigin: string): void } | null;
  readonly location: { ancestorOrigins?: ArrayLike<string> };
  readonly document: { referrer: string };
  addEventListener(type: "message", l: (e: MessageEvent) => void): void;
  removeEventListener(type: "message", l: (e: MessageEvent) => void): void;
}

/** ParentChannel talks to the embedding page with origin checks both ways. */
export class ParentChannel {
  #origin: string | null = null;
  readonly #allowed: readonly string[];
  readonly #win: EmbedWindow;

  /** hint: a parent origin named by the page URL; used only if allowed. */
  constructor(win: EmbedWindow, allowedOrigins: readonly string[], hint?: string | null) {
    this.#win = win;
    this.#allowed = allowedOrigins.map(normalize);
    this.#origin = this.#guessParentOrigin(hint ? normalize(hint) : null);
  }

  /** The parent's origin once known (from its first accepted message). */
  get origin(): string | null {
    return this.#origin;
  }

  /** listen calls onAssertion for every well-formed assertion from an
   * allowed parent origin; everything else is dropped. Returns the remover. */
  listen(onAssertion: (assertion: string, origin: string) => void, onRejected?: (origin: string) => void): () => void {
    const handler = (e: MessageEvent) => {
      if (!this.#framed() || e.source !== this.#win.parent) return;
      const data = e.data as Partial<AssertionMessage> | null;
      if (!data || typeof data !== "object" || data.type !== "parley:assertion") return;
      if (!this.#allowed.includes(e.origin)) {
        onRejected?.(e.origin);
        return;
      }
      if (typeof data.assertion !== "string" || data.assertion.length === 0 || data.assertion.length > 8192) return;
      this.#origin = e.origin;
      onAssertion(data.assertion, e.origin);
    };
    this.#win.addEventListener("message", handler);
    return () => this.#win.removeEventListener("message", handler);
  }

  /** post sends an event to the parent, never with targetOrigin "*": to the
   * known parent origin, or (before it is known) to each allowed origin —
   * the browser delivers only the one that matches. */
  post(event: EmbedEvent): void {
    const parent = this.#win.parent;
    if (!parent || !this.#framed()) return;
    const targets = this.#origin ? [this.#origin] : this.#allowed;
    for (const origin of targets) parent.postMessage(event, origin);
  }

  #framed(): boolean {
    return this.#win.parent !== null && (this.#win.parent as unknown) !== this.#win;
  }

  #guessParentOrigin(hint: string | null): string | null {
    const ancestors = this.#win.location.ancestorOrigins;
    const candidates = [ancestors?.[0], originOf(this.#win.document.referrer), hint];
    for (const c of candidates) if (c && this.#allowed.includes(c)) return c;
    return null;
  }
}

function normalize(origin: string): string {
  return origin.toLowerCase().replace(/\/$/, "");
}

function originOf(url: string): string | null {
  try {
    return url ? new URL(url).origin : null;
  } catch {
    return null;
  }
}
