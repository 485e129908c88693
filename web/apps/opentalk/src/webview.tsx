// App-WebView entry: the same app, plus the native bridge; the top bar and
// back button are left to the native app.
import { startApp } from "./app.tsx";
import { createNativeBridge } from "./bridge.ts";
import { useRouter } from "./router.ts";

const bridge = createNativeBridge(window, () => {
  const { route, navigate } = useRouter.getState();
  if (route.name === "room") navigate({ name: "rooms" });
  else bridge.closeChat();
});
startApp({ entry: "webview", bridge });
