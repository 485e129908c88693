import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser } from "playwright-core";

/** Where screenshots go (git-ignored). */
export const screenshots = join(dirname(fileURLToPath(import.meta.url)), "screenshots");

/** launchChromium starts Debian's Chromium headless with no network side
 * traffic. Playwright gives every launch a fresh temporary profile
 * (--user-data-dir) and deletes it on close. */
export async function launchChromium(): Promise<Browser> {
  mkdirSync(screenshots, { recursive: true });
  return chromium.launch({
    executablePath: process.env["CHROMIUM"] ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      // Pages the tests serve through page.route() have no IP address and
      // count as public; let them frame the loopback server.
      "--disable-features=LocalNetworkAccessChecks,BlockInsecurePrivateNetworkRequests,PrivateNetworkAccessSendPreflights",
    ],
  });
}
