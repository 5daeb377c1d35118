// End to end: the trunk-built app (dist/) in headless Chromium.
// Run by tools/test after `trunk build --release`; screenshots go to www/test-results/.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { serve } from "./server.mjs";
import { launch } from "./browser.mjs";

const dist = fileURLToPath(new URL("../../dist/", import.meta.url));
const results = fileURLToPath(new URL("../test-results/", import.meta.url));
mkdirSync(results, { recursive: true });

let server;
let browser;
before(async () => {
  server = await serve(dist);
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.close();
});

/** Opens the app in a fresh page, recording any request that leaves the page's origin. */
async function open() {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const foreign = [];
  const errors = [];
  page.on("request", (r) => {
    const url = r.url();
    if (!url.startsWith(server.url) && !url.startsWith("data:") && !url.startsWith("blob:")) foreign.push(url);
  });
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(server.url);
  return { page, foreign, errors };
}

/** Number of inked (dark) pixels of the 28×28 canvas matching `selector`. */
function inkOf(page, selector) {
  return page.evaluate((sel) => {
    const canvas = document.querySelector(sel);
    const data = canvas.getContext("2d").getImageData(0, 0, 28, 28).data;
    let dark = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i] < 128) dark++;
    return dark;
  }, selector);
}

test("the page opens with the pretrained model and shows a decoded digit", async () => {
  const { page, foreign, errors } = await open();
  await page.waitForSelector('.status[data-status="ready"]', { timeout: 60_000 });
  const status = await page.textContent(".status");
  assert.match(status, /MLP-VAE z=2/);
  const ink = await inkOf(page, "canvas.digit");
  // A digit covers roughly 10–40 % of the 784 pixels; a blank or all-black canvas fails.
  assert.ok(ink > 40 && ink < 400, `inked pixels: ${ink}`);
  await page.screenshot({ path: `${results}page-loaded.png`, fullPage: true });
  assert.deepEqual(errors, []);
  assert.deepEqual(foreign, [], "the app requests nothing from other origins");
  await page.close();
});
