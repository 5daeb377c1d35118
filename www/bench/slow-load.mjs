// What a phone on a slow connection waits for, from navigation: the first digit, the model
// read whole, the test digits on the latent plane, and training ready to start (the strip's
// Train enabled), with Lighthouse's mobile network (150 ms, 1.6 Mbit/s down, 750 kbit/s up) and
// CPU (4× slower) applied by DevTools to headless Chromium at a phone's size. The reader
// scrolls to the plane as soon as the first digit is drawn: it is below a phone's first screen,
// and the page draws nothing there before it is near (since 2026-12-04). Each run is a fresh
// context (an empty cache), as a first visit. Prints one JSON object (median, min, max of
// each, in ms) and a line per run on stderr; a measuring tool: it never fails on a time.
//
// Usage: tools/build-static && node www/bench/slow-load.mjs [runs]
//        SLOW_LOAD_DIST=/path/to/other/dist/ node www/bench/slow-load.mjs 3   (another build)

import { fileURLToPath } from "node:url";
import { serve } from "../e2e/server.mjs";
import { launch } from "../e2e/browser.mjs";

const runs = Number(process.argv[2] ?? 3);
const server = await serve(process.env.SLOW_LOAD_DIST ?? fileURLToPath(new URL("../../dist/", import.meta.url)));
const browser = await launch();
const MARKS = {
  // The big digit inked: since 2026-12-04 drawn from the model's decoder while its encoder
  // still downloads (before, only once the whole model was read: what model_ready_ms is now).
  first_digit_ms: () => {
    const c = document.querySelector(".big-digit canvas.digit");
    if (!c) return false;
    const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    let ink = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] < 128) ink++;
    return ink > 40;
  },
  model_ready_ms: () => document.querySelector('.model-info[data-status="ready"]') !== null,
  test_digits_ms: () => Number(document.querySelector("canvas[data-dots]")?.dataset.dots ?? 0) > 0,
  trainable_ms: () => document.querySelector(".strip-start:not([disabled])") !== null,
};
const results = Object.fromEntries(Object.keys(MARKS).map((k) => [k, []]));
try {
  for (let run = 0; run < runs; run++) {
    const context = await browser.newContext({ viewport: { width: 412, height: 823 } });
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send("Emulation.setCPUThrottlingRate", { rate: 4 });
    await cdp.send("Network.enable");
    await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 150, downloadThroughput: (1.6 * 1024 * 1024) / 8, uploadThroughput: (750 * 1024) / 8 });
    const started = Date.now();
    await page.goto(server.url);
    const seen = {};
    let scrolled = false;
    // Polled from here (every 50 ms) so the page's own clock and work are not disturbed more.
    while (Object.keys(seen).length < Object.keys(MARKS).length && Date.now() - started < 180_000) {
      for (const [name, test] of Object.entries(MARKS)) {
        if (!(name in seen) && (await page.evaluate(test).catch(() => false))) seen[name] = Date.now() - started;
      }
      if (!scrolled && "first_digit_ms" in seen) {
        scrolled = await page.evaluate(() => {
          const plane = document.querySelector(".plane");
          plane?.scrollIntoView({ block: "center" });
          return plane !== null;
        }).catch(() => false);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    for (const name of Object.keys(MARKS)) results[name].push(seen[name] ?? NaN);
    console.error(`run ${run + 1}: ${JSON.stringify(seen)}`);
    await context.close();
  }
} finally {
  await browser.close();
  server.close();
}
const summary = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)], min: sorted[0], max: sorted[sorted.length - 1] };
};
console.log(JSON.stringify({ slow_load: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, summary(v)])) }));
