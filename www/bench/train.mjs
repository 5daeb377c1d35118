// Worker training benchmark: starts training in the trunk-built app (dist/) in headless
// Chromium (cross-origin isolated, so on two threads where there are two cores) and samples the worker's reported throughput once a second after a warm-up; records,
// meanwhile, the page's main-thread tasks over 50 ms and its longest gap between two animation
// frames (training must not stall the page), the share of a core the page's thread was busy
// (on two cores it comes out of the training threads'), and how fast a Pause is answered.
// Prints one JSON object (a table on stderr). It never fails on a time.
//
// Usage: trunk build --release && node www/bench/train.mjs [seconds per model] [--only conv|mlp]
//        TRAIN_DIST=/path/to/other/dist/ node www/bench/train.mjs …   (another build)
//        TRAIN_ONE_THREAD=1 (no helper), TRAIN_BATCH=64 (another batch size),
//        TRAIN_WORKER=plain (the worker's plain build, its helper with copies: worker_mt.js withheld)

import { fileURLToPath } from "node:url";
import { serve } from "../e2e/server.mjs";
import { launch } from "../e2e/browser.mjs";
import { pauseAnswered } from "./pause-answer.mjs";

const dist = process.env.TRAIN_DIST ?? fileURLToPath(new URL("../../dist/", import.meta.url));
const args = process.argv.slice(2);
const onlyAt = args.indexOf("--only");
const only = onlyAt >= 0 ? args.splice(onlyAt, 2)[1] : null;
const seconds = Number(args[0] ?? 20);
const WARMUP_S = 4;
// TRAIN_BATCH=64 trains with another batch size (per-step costs show against per-digit ones).
const BATCH = Number(process.env.TRAIN_BATCH ?? 128);
const CONFIGS = [
  { name: `mlp-vae z=20 h=400 b=${BATCH}`, kind: "mlp-vae", latent: 20, hidden: 400, batch: BATCH },
  { name: `conv-vae z=16 c=32 b=${BATCH}`, kind: "conv-vae", latent: 16, hidden: 32, batch: BATCH },
].filter((c) => only === null || c.kind.startsWith(only));

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

const server = await serve(dist, { isolated: !process.env.TRAIN_ONE_THREAD });
if (process.env.TRAIN_WORKER === "plain") server.overrides["/worker_mt.js"] = { status: 404 };
const browser = await launch();
const rows = [];
try {
  for (const c of CONFIGS) {
    const page = await browser.newPage();
    await page.addInitScript(() => {
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
    await page.goto(server.url);
    await page.waitForSelector(".training-buttons .start:not([disabled])", { timeout: 60_000 });
    await page.selectOption(".field.kind select", c.kind);
    for (const [field, value] of [["latent", c.latent], ["hidden", c.hidden], ["batch", c.batch], ["epochs", 1000]]) {
      await page.fill(`.field.${field} input`, String(value));
      await page.press(`.field.${field} input`, "Tab");
    }
    await page.click(".training-buttons .start");
    await page.waitForTimeout(WARMUP_S * 1000);
    await page.evaluate(() => {
      window.__longTasks = [];
      window.__maxFrameGap = 0;
    });
    // Steps done over the whole window (scoring the test digits after each epoch included), as
    // well as the page's once-a-second readings, which dip and peak around those pauses.
    const step = async () => Number(/step (\d+) of/.exec(await page.textContent(".progress-text"))?.[1]);
    // The page's own share of a core meanwhile (Chromium's summed main-thread task time): on
    // two cores, what the page takes comes out of the training threads' share.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send("Performance.enable");
    const taskSeconds = async () => (await cdp.send("Performance.getMetrics")).metrics.find((m) => m.name === "TaskDuration").value;
    const busy0 = await taskSeconds();
    const [step0, t0] = [await step(), Date.now()];
    const rates = [];
    for (let i = 0; i < seconds; i++) {
      await page.waitForTimeout(1000);
      const text = await page.textContent(".progress-text");
      const rate = Number(/(\d+) samples\/s/.exec(text)?.[1]);
      if (Number.isFinite(rate) && rate > 0) rates.push(rate);
    }
    const overall = ((await step()) - step0) * c.batch / ((Date.now() - t0) / 1000);
    const pageBusy = (await taskSeconds() - busy0) / ((Date.now() - t0) / 1000);
    const stalls = await page.evaluate(() => ({ longTasks: window.__longTasks, frameGap: window.__maxFrameGap }));
    const pauseLatency = await pauseAnswered(page);
    rates.sort((a, b) => a - b);
    // How many threads trained (the worker and its helper when the page is cross-origin
    // isolated, as this server makes it), as the training panel says.
    const threads = Number(await page.getAttribute(".threads", "data-threads"));
    rows.push({
      model: c.name,
      threads,
      samples_per_sec_overall: Math.round(overall),
      samples_per_sec_median: quantile(rates, 0.5),
      samples_per_sec_min: rates[0],
      samples_per_sec_max: rates[rates.length - 1],
      readings: rates.length,
      pause_answered_ms: Math.round(pauseLatency * 10) / 10,
      main_thread_tasks_over_50ms: stalls.longTasks.length,
      longest_main_thread_task_ms: Math.round(Math.max(0, ...stalls.longTasks)),
      longest_frame_gap_ms: Math.round(stalls.frameGap * 10) / 10,
      page_main_thread_busy_pct: Math.round(pageBusy * 1000) / 10,
    });
    await page.close();
  }
} finally {
  await browser.close();
  await server.close();
}
console.error("worker training (headless Chromium)");
for (const r of rows) {
  console.error(
    `${r.model.padEnd(28)} ${r.threads} thread(s), overall ${String(r.samples_per_sec_overall).padStart(6)} samples/s, readings' median ${r.samples_per_sec_median} (min ${r.samples_per_sec_min}, max ${r.samples_per_sec_max}); pause answered in ${r.pause_answered_ms} ms; ` +
      `page while training: busy ${r.page_main_thread_busy_pct}%, ${r.main_thread_tasks_over_50ms} tasks over 50 ms, longest frame gap ${r.longest_frame_gap_ms} ms`,
  );
}
console.log(JSON.stringify({ worker_training: rows }));
