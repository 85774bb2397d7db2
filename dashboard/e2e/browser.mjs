// Headless Chromium from the system (Debian's package), driven by playwright-core: no browser download.

import { chromium } from "playwright-core";

export const CHROMIUM_FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  // Without these Chromium keeps opening connections to Google's services, which fail here and slow it.
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Playwright gives each launch a fresh temporary profile (user-data-dir) and removes it on close. */
export function launchChromium() {
  return chromium.launch({
    executablePath: process.env.PAGEWIRE_CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: CHROMIUM_FLAGS,
  });
}
