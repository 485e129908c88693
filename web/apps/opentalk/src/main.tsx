// Web entry (mobile and PC browsers).
import { startApp } from "./app.tsx";

startApp({ entry: "web" });
