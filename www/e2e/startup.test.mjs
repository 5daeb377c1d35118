// The first seconds of a visit: what the page fetches before it shows the first model, and
// which parts it builds before a reader asks for them (src/ui/later.rs). Both keep a phone's
// first screen quick; neither may hide anything from a reader who goes looking.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { pixelsOf, useApp, waitForPage } from "./harness.mjs";

const app = useApp();
const PHONE = { width: 412, height: 823 };

test("the first model's file has the network to itself: the digits, the worker and the offline copy come after it", async () => {
  // The default model's answer is held back until the page has built its tool (its start-up
  // tasks are done by then): whatever the page asks for meanwhile would share the download.
  const model = "/assets/pretrained/mlp-vae-z2.safetensors";
  const bytes = readFileSync(fileURLToPath(new URL(`../../dist${model}`, import.meta.url)));
  let release;
  const held = new Promise((resolve) => (release = resolve));
  app.server.overrides[model] = () => held.then(() => ({ body: bytes }));
  const context = await app.browser.newContext({ viewport: PHONE });
  try {
    const page = await context.newPage();
    const from = app.server.requests.length;
    await page.goto(app.server.url);
    await page.waitForSelector(".stage-output .latent-panel", { timeout: 60_000 });
    const meanwhile = app.server.requests.slice(from);
    assert.ok(meanwhile.includes(model), `the model was asked for: ${meanwhile}`);
    const later = /digits\.bin|worker|sw\.js/;
    assert.deepEqual(meanwhile.filter((r) => later.test(r)), [], "nothing else shares its download");
    release();
    await page.waitForSelector('.model-info[data-status="ready"]', { timeout: 60_000 });
    // They do come once it is shown: training needs the worker and its digits, and the worker
    // hands the plane its test digits (the page never downloads them itself; the plane, below
    // a phone's first screen, draws them once scrolled to).
    await page.locator(".plane").scrollIntoViewIfNeeded();
    await page.waitForSelector('canvas[data-dots]:not([data-dots="0"])', { timeout: 60_000 });
    await waitForPage(page, () => document.querySelector(".strip-start:not([disabled])") !== null);
    const after = app.server.requests.slice(from);
    for (const wanted of ["/assets/digits.bin", "/worker_mt_bg.wasm"]) assert.ok(after.includes(wanted), `${wanted} was fetched after it`);
  } finally {
    delete app.server.overrides[model];
    await context.close();
  }
});

test("the other pretrained models wait until the worker has its digits: training's files have the network first", async () => {
  const digits = "/assets/digits.bin";
  const body = readFileSync(fileURLToPath(new URL(`../../dist${digits}`, import.meta.url)));
  let release, asked;
  const held = new Promise((resolve) => (release = resolve));
  const requested = new Promise((resolve) => (asked = resolve));
  app.server.overrides[digits] = () => {
    asked();
    return held.then(() => ({ body }));
  };
  const context = await app.browser.newContext({ viewport: PHONE });
  try {
    const page = await context.newPage();
    const from = app.server.requests.length;
    const extras = () =>
      app.server.requests.slice(from).filter((r) => r.startsWith("/assets/pretrained/") && !r.startsWith("/assets/pretrained/mlp-vae-z2."));
    await page.goto(app.server.url);
    await page.waitForSelector('.model-info[data-status="ready"]', { timeout: 60_000 });
    // The worker asks for the digits once its own code is in: long after the page's start-up,
    // which used to fetch the other models as soon as the first one was shown.
    await requested;
    assert.deepEqual(extras(), [], "no other model shares the digits' download");
    assert.equal(app.server.requests.slice(from).filter((r) => r.startsWith(digits)).length, 1, "the digits are downloaded once");
    release();
    await page.locator(".plane").scrollIntoViewIfNeeded();
    await page.waitForSelector('canvas[data-dots]:not([data-dots="0"])', { timeout: 60_000 });
    const deadline = Date.now() + 60_000;
    while (extras().length === 0) {
      assert.ok(Date.now() < deadline, "the other pretrained models are fetched once the worker has its digits");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    release();
    delete app.server.overrides[digits];
    await context.close();
  }
});

test("on a phone the chapters are built as a reader comes near them; a link or a key press reaches them all", async () => {
  const context = await app.browser.newContext({ viewport: PHONE });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(app.server.url);
  await page.waitForSelector('.model-info[data-status="ready"]', { timeout: 60_000 });
  // The tool is built, and the chapters below it wait in their places.
  await page.waitForSelector(".stage-output .latent-panel", { timeout: 60_000 });
  await page.waitForSelector(".chapter-place", { state: "attached" });
  const waiting = await page.evaluate(() => ({
    places: document.querySelectorAll(".chapter-place").length,
    training: document.querySelector(".training-panel") !== null,
    about: document.querySelector("footer .about") !== null,
  }));
  assert.deepEqual(waiting, { places: 10, training: false, about: false }, "nothing below the tool is built yet");

  // The training strip's "settings and charts" link (shown on wider screens) leads to the
  // training panel, built on the way, and brings its title into view below the strip once it is built.
  await page.evaluate(() => document.querySelector(".strip-more").click());
  await page.waitForSelector(".training-panel #training-title");
  await waitForPage(page, () => {
    // In view, and below the training strip that stays at the top of the screen, not under it.
    const box = document.querySelector("#training-title").getBoundingClientRect();
    const strip = document.querySelector(".training-strip").getBoundingClientRect();
    return box.top >= strip.bottom && box.top < window.innerHeight;
  });
  assert.equal(await page.evaluate(() => document.activeElement?.id), "training-title", "the keyboard goes on from the title");
  assert.ok(await page.locator("footer .about").count() === 0, "a chapter far below is still not built");

  // A key press (Tab, find in page) builds every chapter, each in a task of its own.
  await page.keyboard.press("Shift");
  await waitForPage(page, () => document.querySelector(".chapter-place") === null && document.querySelector("footer .about") !== null);
  assert.deepEqual(errors, []);
  await context.close();
});

test("on a slow phone nothing on screen moves while the page builds itself, part by part", async () => {
  const context = await app.browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  // Every layout shift (what Lighthouse's CLS adds up) and the elements that moved.
  await page.addInitScript(() => {
    window.__shifts = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        const moved = e.sources.map((s) => `${s.node?.nodeName ?? "?"}.${s.node?.className ?? ""} ${s.previousRect.y}→${s.currentRect.y}`);
        window.__shifts.push({ value: e.value, moved });
      }
    }).observe({ type: "layout-shift", buffered: true });
  });
  // As slow as Lighthouse's phone, so each part's task gets a frame of its own.
  const cdp = await context.newCDPSession(page);
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: 4 });
  await page.goto(app.server.url);
  await page.waitForSelector('.model-info[data-status="ready"]', { timeout: 60_000 });
  await page.waitForSelector(".stage-output .latent-panel", { timeout: 60_000 });
  // Until the plane's dots have come, the last of the tool to arrive: the plane is below a
  // phone's first screen, and draws once a reader scrolls to it.
  await page.locator(".plane").scrollIntoViewIfNeeded();
  await page.waitForSelector('.plane canvas[data-dots]:not([data-dots="0"])', { timeout: 120_000 });
  const shifts = await page.evaluate(() => window.__shifts);
  const total = shifts.reduce((sum, s) => sum + s.value, 0);
  assert.ok(total < 0.005, `layout shifts add up to ${total.toFixed(4)}: ${JSON.stringify(shifts)}`);
  await context.close();
});

test("on a phone the latent plane, below the first screen, decodes its sheet and encodes the test digits only once a reader scrolls to it", async () => {
  const context = await app.browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true });
  try {
    const page = await context.newPage();
    await page.goto(app.server.url);
    await page.waitForSelector('.model-info[data-status="ready"]', { timeout: 60_000 });
    // The sheet asked for is held, not drawn.
    await page.waitForSelector('.plane[data-sheet-held="true"]', { timeout: 60_000 });
    assert.equal(await page.getAttribute(".plane", "data-sheets"), "0", "no sheet drawn off screen");
    // The test digits are in the page (a test digit can be shown), and still not encoded for it.
    await page.click(".sources >> text=A test digit");
    await page.waitForFunction(() => /^test digit 0, a \d$/.test(document.querySelector(".test-digit-view figcaption")?.textContent ?? ""), null, { timeout: 60_000 });
    assert.equal(await page.getAttribute(".plane-dots", "data-dots"), "0", "no dots encoded off screen");
    assert.equal(await page.getAttribute(".plane", "data-sheets"), "0");
    // Scrolled to: both come.
    await page.locator(".plane").scrollIntoViewIfNeeded();
    await page.waitForSelector('.plane:not([data-sheets="0"])[data-sheet-held="false"]', { timeout: 30_000 });
    await page.waitForSelector('.plane-dots[data-dots="2000"]', { timeout: 60_000 });
  } finally {
    await context.close();
  }
});

/** The default model's file served up to the end of its decoder's tensors (sorted by name,
 * they come first), the rest (or `rest(bytes)`) only once `release` is called. */
function serveDecoderFirst({ rest = (bytes, end) => bytes.subarray(end) } = {}) {
  const model = "/assets/pretrained/mlp-vae-z2.safetensors";
  const bytes = readFileSync(fileURLToPath(new URL(`../../dist${model}`, import.meta.url)));
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString("utf8"));
  const decoderEnd = 8 + headerLength + Math.max(...Object.entries(header).filter(([name]) => name.startsWith("decoder.")).map(([, t]) => t.data_offsets[1]));
  assert.ok(decoderEnd < bytes.length * 0.6, `the decoder ends at ${decoderEnd} of ${bytes.length} bytes`);
  let release;
  const held = new Promise((resolve) => (release = resolve));
  app.server.overrides[model] = { body: bytes.subarray(0, decoderEnd), rest: held.then(() => rest(bytes, decoderEnd)) };
  return { release, undo: () => delete app.server.overrides[model] };
}

/** Whether the big digit has no ink at all. */
const bigDigitBlank = () => {
  const canvas = document.querySelector(".big-digit canvas.digit");
  const d = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  for (let i = 0; i < d.length; i += 4) if (d[i] < 250) return false;
  return true;
};

/** Whether the big digit has ink. */
const bigDigitInked = () => {
  const canvas = document.querySelector(".big-digit canvas.digit");
  if (!canvas) return false;
  const d = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let ink = 0;
  for (let i = 0; i < d.length; i += 4) if (d[i] < 128) ink++;
  return ink > 40;
};

test("the first digit is drawn from the model's decoder while its encoder still downloads, and stays the same once the whole model is in", async () => {
  const served = serveDecoderFirst();
  const context = await app.browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    const page = await context.newPage();
    await page.goto(app.server.url);
    await waitForPage(page, bigDigitInked);
    assert.equal(await page.getAttribute(".model-info", "data-status"), "loading", "the model is not whole yet");
    assert.match(await page.textContent(".model-info"), /decoder is in/);
    const early = await pixelsOf(page, ".big-digit canvas.digit");
    // The plane behind the point is decoded from it too.
    await waitForPage(page, () => Number(document.querySelector(".plane")?.dataset.sheets ?? 0) > 0);
    assert.equal(await page.getAttribute(".model-info", "data-status"), "loading");
    served.release();
    await page.waitForSelector('.model-info[data-status="ready"]', { timeout: 60_000 });
    const whole = await pixelsOf(page, ".big-digit canvas.digit");
    assert.deepEqual(early, whole, "the decoder drew what the whole model draws");
  } finally {
    served.undo();
    await context.close();
  }
});

test("a model file that breaks off after its decoder: the digit drawn early goes, and the page says why", async () => {
  const served = serveDecoderFirst({ rest: (bytes, end) => bytes.subarray(end, end + 1000) });
  const context = await app.browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    const page = await context.newPage();
    await page.goto(app.server.url);
    await waitForPage(page, bigDigitInked);
    served.release();
    await page.waitForSelector('.model-info[data-status="failed"]', { timeout: 60_000 });
    assert.match(await page.textContent(".library-message"), /could not be loaded/);
    // No digit of a model that is not loaded (the canvas is repainted after the failure).
    await waitForPage(page, bigDigitBlank, undefined, { timeout: 10_000 });
  } finally {
    served.undo();
    await context.close();
  }
});
