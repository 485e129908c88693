/**
 * NativeBridge is how the app-WebView entry talks to the Android/iOS host
 * app (see ../BRIDGE.md for the wire format). In a plain browser a stub
 * bridge logs every call, so the WebView entry runs and is tested on a PC.
 */
export interface NativeBridge {
  /** "android", "ios" or "stub" */
  readonly kind: "android" | "ios" | "stub";
  /** the chat is ready (first render done) */
  ready(): void;
  /** close the chat screen and return to the app */
  closeChat(): void;
  /** show the app's own profile screen of a user */
  openProfile(user: string): void;
  /** open the app's share sheet for a room */
  shareRoom(room: { id: string; title: string; url: string }): void;
  /** the chat session ended: the app should sign the user in again */
  authNeeded(): void;
  /** subscribe to push notifications the user opened: go to that room */
  onPushOpen(handler: (e: { room: string }) => void): () => void;
}

/** A message from the web page to the native app. */
export type WebToNative =
  | { type: "ready"; version: 1 }
  | { type: "close" }
  | { type: "openProfile"; user: string }
  | { type: "share"; room: string; title: string; url: string }
  | { type: "authNeeded" };

/** A message from the native app to the web page, via window.parleyBridge.receive. */
export type NativeToWeb = { type: "pushOpen"; room: string } | { type: "back" };

interface NativeWindow {
  ParleyNative?: { postMessage(json: string): void };
  webkit?: { messageHandlers?: { parley?: { postMessage(msg: unknown): void } } };
  parleyBridge?: { receive(msg: string | NativeToWeb): void };
  /** calls the stub bridge made, for tests and curious developers */
  __parleyBridgeLog?: WebToNative[];
}

/** createNativeBridge picks the Android, iOS or stub transport and installs
 * window.parleyBridge.receive for messages from the app. */
export function createNativeBridge(win: Window = window, onBack?: () => void): NativeBridge {
  const w = win as unknown as NativeWindow;
  let kind: NativeBridge["kind"] = "stub";
  let post: (m: WebToNative) => void;
  if (w.ParleyNative && typeof w.ParleyNative.postMessage === "function") {
    kind = "android";
    const native = w.ParleyNative;
    post = (m) => native.postMessage(JSON.stringify(m));
  } else if (w.webkit?.messageHandlers?.parley) {
    kind = "ios";
    const native = w.webkit.messageHandlers.parley;
    post = (m) => native.postMessage(m);
  } else {
    const log: WebToNative[] = (w.__parleyBridgeLog ??= []);
    post = (m) => {
      log.push(m);
      console.info("[parley stub bridge]", JSON.stringify(m));
    };
  }

  const pushHandlers = new Set<(e: { room: string }) => void>();
  w.parleyBridge = {
    receive(raw) {
      let msg: NativeToWeb;
      try {
        msg = typeof raw === "string" ? (JSON.parse(raw) as NativeToWeb) : raw;
      } catch {
        console.warn("[parley bridge] ignored a message that is not JSON");
        return;
      }
      if (msg.type === "pushOpen" && typeof msg.room === "string") pushHandlers.forEach((h) => h({ room: msg.room }));
      else if (msg.type === "back") onBack?.();
    },
  };

  return {
    kind,
    ready: () => post({ type: "ready", version: 1 }),
    closeChat: () => post({ type: "close" }),
    openProfile: (user) => post({ type: "openProfile", user }),
    shareRoom: (r) => post({ type: "share", room: r.id, title: r.title, url: r.url }),
    authNeeded: () => post({ type: "authNeeded" }),
    onPushOpen(h) {
      pushHandlers.add(h);
      return () => pushHandlers.delete(h);
    },
  };
}
