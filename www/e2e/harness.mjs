// What every end-to-end test file shares: the app served from dist/ and one headless Chromium
// for the file's tests, a folder for screenshots, and reading a digit canvas' pixels.

import { after, before } from "node:test";
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { serve } from "./server.mjs";
import { launch } from "./browser.mjs";

export const results = fileURLToPath(new URL("../test-results/", import.meta.url));
mkdirSync(results, { recursive: true });

/** Serves dist/ and starts Chromium before the file's tests; both are stopped after them. */
export function useApp() {
  const app = { server: null, browser: null };
  before(async () => {
    app.server = await serve(fileURLToPath(new URL("../../dist/", import.meta.url)));
    app.browser = await launch();
  });
  after(async () => {
    await app.browser?.close();
    await app.server?.close();
  });
  return app;
}

/** The 28×28 grey values (ink = 1) of the digit canvas matching `selector`. */
export function pixelsOf(page, selector) {
  return page.evaluate((sel) => {
    const data = document.querySelector(sel).getContext("2d").getImageData(0, 0, 28, 28).data;
    const out = [];
    for (let i = 0; i < data.length; i += 4) out.push(1 - data[i] / 255);
    return out;
  }, selector);
}
