// The headline figure of "Speed II": Start → "finished" for the reference run, as a person runs
// it. Opens the trunk-built app (dist/) in headless Chromium at a desktop size, with every
// default (MLP-VAE z=20 h=400, batch 128, 10 epochs on the 8,000 training digits; the explorer
// following the newest weights), presses Start in the tool's training strip once the worker is
// ready, and times until the strip says the run finished. Each run is a fresh page. Prints one
// JSON object (median, min, max) and a line on stderr; never fails on a time.
//
// Usage: trunk build --release && node www/bench/start.mjs [runs]

import { fileURLToPath } from "node:url";
import { serve } from "../e2e/server.mjs";
import { launch } from "../e2e/browser.mjs";

const runs = Number(process.argv[2] ?? 3);
const server = await serve(fileURLToPath(new URL("../../dist/", import.meta.url)));
const browser = await launch();
const times = [];
let progress = "";
try {
  for (let i = 0; i < runs; i++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(server.url);
    await page.waitForSelector(".training-strip .strip-start:not([disabled])", { timeout: 120_000 });
    const t0 = Date.now();
    await page.click(".training-strip .strip-start");
    await page.waitForFunction(() => document.querySelector(".training-strip")?.dataset.state === "finished", null, { timeout: 600_000, polling: 20 });
    times.push(Date.now() - t0);
    progress = (await page.textContent(".progress-text")).trim();
    await context.close();
  }
} finally {
  await browser.close();
  server.close();
}
const sorted = [...times].sort((a, b) => a - b);
const result = {
  reference_run_start_to_finished_ms: { median: sorted[Math.floor(sorted.length / 2)], min: sorted[0], max: sorted[sorted.length - 1], runs: times },
  progress,
};
console.error(`reference run, Start → finished in the page: median ${result.reference_run_start_to_finished_ms.median} ms (${sorted[0]}–${sorted[sorted.length - 1]}, ${runs} runs); ${progress}`);
console.log(JSON.stringify(result));
