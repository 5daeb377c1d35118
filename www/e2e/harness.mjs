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

/** A page in `context` with the app of `app` loaded and a long-task recorder installed. */
export async function open(context, app, { path = "" } = {}) {
  const page = await context.newPage({ viewport: { width: 1280, height: 900 } });
  await page.addInitScript(() => {
    // Long tasks (over 50 ms) as the browser reports them, and the longest gap between two
    // animation frames, which also shows shorter stalls.
    window.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longTasks.push(e.duration);
    }).observe({ type: "longtask", buffered: true });
    window.__maxFrameGap = 0;
    let last = performance.now();
    const frame = (t) => {
      window.__maxFrameGap = Math.max(window.__maxFrameGap, t - last);
      last = t;
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  });
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(app.server.url + path);
  await page.waitForSelector('.model-info[data-status="ready"]', { timeout: 60_000 });
  return { page, errors };
}

/** The progress line: its text, step and smoothed loss. */
export const progress = async (page) => {
  const text = await page.textContent(".progress-text");
  const step = Number(/step (\d+)/.exec(text)?.[1] ?? -1);
  const loss = Number(/loss (\d+(?:\.\d+)?)/.exec(text)?.[1] ?? NaN);
  return { text, step, loss };
};

/** Starts a run of `epochs` epochs with the default settings, clearing the task recorder. */
export async function startTraining(page, { epochs = 10 } = {}) {
  await page.waitForSelector(".training-buttons .start:not([disabled])", { timeout: 60_000 });
  await page.fill(".field.epochs input", String(epochs));
  await page.press(".field.epochs input", "Tab");
  await page.click(".training-buttons .start");
  await page.evaluate(() => {
    window.__longTasks = [];
    window.__maxFrameGap = 0;
  });
}

/** Draws a polyline on the pad, in pad pixels (0..280), with real pointer input. */
export async function drawStroke(page, points) {
  const box = await page.locator("canvas.pad").boundingBox();
  const at = ([x, y]) => [box.x + (x / 280) * box.width, box.y + (y / 280) * box.height];
  await page.mouse.move(...at(points[0]));
  await page.mouse.down();
  for (const p of points.slice(1)) await page.mouse.move(...at(p), { steps: 3 });
  await page.mouse.up();
}
