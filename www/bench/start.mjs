// The headline figure of "Speed II": Start → "finished" for the reference run, as a person runs
// it. Opens the trunk-built app (dist/) in headless Chromium at a desktop size, with every
// default (MLP-VAE z=20 h=400, batch 128, 10 epochs on the 8,000 training digits; the explorer
// following the newest weights), presses Start in the tool's training strip once the worker is
// ready, and times until the strip says the run finished. Each run is a fresh page. Twice: with
// Start pressed the moment Train enables, and after looking at the page for 2 s first, as a
// person would (the worker warms its training code up meanwhile: `worker/warm_up.rs`). Prints
// one JSON object (median, min, max of each) and lines on stderr; never fails on a time.
//
// Usage: trunk build --release && node www/bench/start.mjs [runs]
//        START_DIST=/path/to/other/dist/ node www/bench/start.mjs …   (another build)
//        START_WORKER=plain node www/bench/start.mjs …   (the worker's plain build, its helper
//                                                          with copies: worker_mt.js withheld)

import { fileURLToPath } from "node:url";
import { serve } from "../e2e/server.mjs";
import { launch } from "../e2e/browser.mjs";

const runs = Number(process.argv[2] ?? 3);
const dist = process.env.START_DIST ?? fileURLToPath(new URL("../../dist/", import.meta.url));
const server = await serve(dist);
if (process.env.START_WORKER === "plain") server.overrides["/worker_mt.js"] = { status: 404 };
const browser = await launch();
const LOOK_MS = 2000;
let progress = "";

/** Start → finished in `runs` fresh pages, Start pressed `lookMs` after Train enables. */
async function timeRuns(lookMs) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(server.url);
    await page.waitForSelector(".training-strip .strip-start:not([disabled])", { timeout: 120_000 });
    if (lookMs > 0) await page.waitForTimeout(lookMs);
    const t0 = Date.now();
    await page.click(".training-strip .strip-start");
    await page.waitForFunction(() => document.querySelector(".training-strip")?.dataset.state === "finished", null, { timeout: 600_000, polling: 20 });
    times.push(Date.now() - t0);
    progress = (await page.textContent(".progress-text")).trim();
    await context.close();
  }
  const sorted = [...times].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)], min: sorted[0], max: sorted[sorted.length - 1], runs: times };
}

let atOnce;
let afterLooking;
try {
  atOnce = await timeRuns(0);
  afterLooking = await timeRuns(LOOK_MS);
} finally {
  await browser.close();
  server.close();
}
const result = {
  reference_run_start_to_finished_ms: atOnce,
  reference_run_after_looking_2s_ms: afterLooking,
  progress,
};
const line = (r) => `median ${r.median} ms (${r.min}–${r.max}, ${runs} runs)`;
console.error(`reference run, Start → finished in the page: pressed at once ${line(atOnce)}; after 2 s on the page ${line(afterLooking)}; ${progress}`);
console.log(JSON.stringify(result));
