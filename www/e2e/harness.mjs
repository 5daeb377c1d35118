// What every end-to-end test file shares: the app served from dist/ and one headless Chromium
// for the file's tests, a folder for screenshots, and reading a digit canvas' pixels.

import { after, before } from "node:test";
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { serve } from "./server.mjs";
import { launch } from "./browser.mjs";
import { readThrough } from "./read-through.mjs";

export { readThrough };

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

/** A page in `context` with the app of `app` loaded. (The page's responsiveness while training
 * is measured by www/bench/train.mjs, not asserted here: a timing on a loaded CI machine says
 * little about the code.) */
export async function open(context, app, { path = "" } = {}) {
  const page = await context.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(app.server.url + path);
  await page.waitForSelector('.model-info[data-status="ready"]', { timeout: 60_000 });
  await readThrough(page);
  return { page, errors };
}


/** Reloads `page` and reads through it again (a reload builds the chapters anew as a reader
 * nears them). */
export async function reload(page) {
  await page.reload();
  await readThrough(page);
}

/** The progress line: its text, step and smoothed loss. */
export const progress = async (page) => {
  const text = await page.textContent(".progress-text");
  const step = Number(/step (\d+)/.exec(text)?.[1] ?? -1);
  const loss = Number(/loss (\d+(?:\.\d+)?)/.exec(text)?.[1] ?? NaN);
  return { text, step, loss };
};

/** Starts a run of `epochs` epochs with the default settings. */
export async function startTraining(page, { epochs = 10 } = {}) {
  await page.waitForSelector(".training-buttons .start:not([disabled])", { timeout: 60_000 });
  await page.fill(".field.epochs input", String(epochs));
  await page.press(".field.epochs input", "Tab");
  await page.click(".training-buttons .start");
}

/** The number of the worker's last answer to the page's heartbeat ping (one every 2 s). */
export const lastPong = async (page) => Number((await page.getAttribute(".memory", "data-pong")) ?? 0);

/** Waits until the worker has answered a ping sent after this call: every message it posted
 * before that answer (the worker's messages arrive in order) has then reached the page. */
export async function workerCaughtUp(page) {
  const now = await lastPong(page);
  await page.waitForFunction((n) => Number(document.querySelector(".memory")?.dataset.pong ?? 0) >= n + 2, now, { timeout: 30_000 });
}

/** Draws a polyline on the pad, in pad pixels (0..280), with real pointer input. */
export async function drawStroke(page, points) {
  await page.locator("canvas.pad").scrollIntoViewIfNeeded();
  const box = await page.locator("canvas.pad").boundingBox();
  const at = ([x, y]) => [box.x + (x / 280) * box.width, box.y + (y / 280) * box.height];
  await page.mouse.move(...at(points[0]));
  await page.mouse.down();
  for (const p of points.slice(1)) await page.mouse.move(...at(p), { steps: 3 });
  await page.mouse.up();
}

/** Waits until `check` (a page function that may return a promise, such as a read of the page's
 * IndexedDB) gives a truthy value, asking again every 100 ms. `page.waitForFunction` cannot do
 * this: it does not wait for a returned promise, so one that resolves to false counts as done. */
export async function waitForPage(page, check, arg, { timeout = 60_000 } = {}) {
  const deadline = Date.now() + timeout;
  while (!(await page.evaluate(check, arg))) {
    if (Date.now() > deadline) throw new Error(`waitForPage: not true after ${timeout} ms: ${check}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/** The axe-core violations on `page` now, as `impact id: targets` lines; asserts none is serious
 * or critical. */
export async function audit(page, state) {
  // Injected through the driver, which the page's CSP does not govern.
  if (!(await page.evaluate(() => typeof window.axe === "object"))) await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ["violations"] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes.slice(0, 5).map((n) => n.target.join(" ")),
    }));
  });
  const lines = violations.map((v) => `${v.impact} ${v.id} (${v.help}): ${v.targets.join(", ")}`);
  if (lines.length > 0) console.log(`${state}:\n  ${lines.join("\n  ")}`);
  const grave = lines.filter((l) => /^(serious|critical) /.test(l));
  assert.deepEqual(grave, [], `${state}: serious or critical violations`);
}

