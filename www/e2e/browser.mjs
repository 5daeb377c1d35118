// Starts the system Chromium through playwright-core (which never downloads a browser).

import { chromium } from "playwright-core";
import { existsSync } from "node:fs";

const CANDIDATES = [process.env.CHROMIUM, "/usr/bin/chromium", "/usr/bin/chromium-browser"].filter(Boolean);

/**
 * Chromium, whose pages and contexts block service workers unless asked (`serviceWorkers:
 * "allow"`): every test opens the app as a first visit, and the offline copy it then makes
 * (src/ui/offline.rs) would fetch every file a second time behind each test. The offline tests
 * allow it; `LATENT_LAB_SERVICE_WORKERS=allow` allows it everywhere (to measure what it costs).
 * `args`: more command-line switches (a measuring tool's, say).
 */
export async function launch({ args = [] } = {}) {
  const browser = await launchChromium(args);
  const standard = process.env.LATENT_LAB_SERVICE_WORKERS ?? "block";
  const [newContext, newPage] = [browser.newContext.bind(browser), browser.newPage.bind(browser)];
  browser.newContext = (options = {}) => newContext({ serviceWorkers: standard, ...options });
  browser.newPage = (options = {}) => newPage({ serviceWorkers: standard, ...options });
  return browser;
}

/** The system Chromium's path (`CHROMIUM` if set); throws, saying how to get one, if none. */
export function chromiumExecutable() {
  const executablePath = CANDIDATES.find((p) => existsSync(p));
  if (!executablePath) {
    throw new Error("Chromium was not found: install it (apt-get install chromium) or set CHROMIUM=/path/to/chromium");
  }
  return executablePath;
}

async function launchChromium(args) {
  return chromium.launch({
    executablePath: chromiumExecutable(),
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      ...args,
    ],
  });
}
