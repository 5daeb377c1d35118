// Import benchmark: the whole user action "a folder of my pictures → a trained model", timed in
// the real page (trunk-built dist/, headless Chromium). Writes `count` 96×96 PNGs (discs and
// bars, all different, in two folders; in colour for a colour shape), imports them with the
// folder picker (pad, ink on paper) at `shape` (the import's menu label, default 28×28 grey),
// then presses "Train on it here" and Train (10 epochs of `kind`, default mlp-vae, at its
// default size). Prints one JSON object; never fails on a time.
//
// Usage: trunk build --release && node www/bench/import.mjs [count] ["32×32 colour"] [conv-vae]
//        IMPORT_DIST=/path/to/other/dist/ node www/bench/import.mjs …   (another build)
//        IMPORT_PAUSES=3 node www/bench/import.mjs …   also times how fast Pause is answered, 3
//        times in the second epoch (each pause is resumed at once; the run's time includes them)

import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { serve } from "../e2e/server.mjs";
import { launch } from "../e2e/browser.mjs";
import { readThrough } from "../e2e/read-through.mjs";
import { png, pngRgb } from "../e2e/png.mjs";
import { pauseAnswered } from "./pause-answer.mjs";

const count = Number(process.argv[2] ?? 1000);
const shape = process.argv[3] || "28×28 grey";
const kind = process.argv[4] || "mlp-vae";
const colour = /colour/.test(shape);
// Ink on paper in grey; warm marks on cool paper in colour.
const picture = (mark) =>
  colour
    ? (w, h, inside) => pngRgb(w, h, (x, y) => (inside(x, y) ? [230, 60, 30] : [30, 70, 190]))
    : (w, h, inside) => png(w, h, (x, y) => (inside(x, y) ? mark : 245));
const root = join(mkdtempSync(join(tmpdir(), "latent-lab-bench-")), "pictures");
for (const kind of ["discs", "bars"]) mkdirSync(join(root, kind), { recursive: true });
for (let i = 0; i < count; i++) {
  const k = Math.floor(i / 2);
  if (i % 2 === 0) {
    const [cx, cy, r] = [16 + (k % 20) * 3, 16 + (Math.floor(k / 20) % 20) * 3, 6 + (Math.floor(k / 400) % 13)];
    writeFileSync(join(root, "discs", `${k}.png`), picture(15)(96, 96, (x, y) => (x - cx) ** 2 + (y - cy) ** 2 < r * r));
  } else {
    const [x0, w, y0] = [4 + (k % 80), 3 + (Math.floor(k / 80) % 8), 2 + (Math.floor(k / 640) % 20)];
    writeFileSync(join(root, "bars", `${k}.png`), picture(10)(96, 96, (x, y) => x >= x0 && x < x0 + w && y > y0 && y < 90));
  }
}

const server = await serve(process.env.IMPORT_DIST ?? fileURLToPath(new URL("../../dist/", import.meta.url)));
const browser = await launch();
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(server.url);
  await page.waitForSelector('.model-info[data-status="ready"]', { timeout: 60_000 });
  await readThrough(page);
  // Long main-thread tasks while importing: how responsive the page stays. Those that start
  // before the files are handed over are the browser's (the page's own change handler takes a
  // few ms); the rest are the import's.
  await page.evaluate(() => {
    window.__tasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__tasks.push([e.startTime, e.duration]);
    }).observe({ type: "longtask", buffered: false });
  });
  await page.locator(".import-panel").scrollIntoViewIfNeeded();
  await page.locator(".import-panel select").first().selectOption({ label: shape });
  const t0 = Date.now();
  await page.locator(".import-folder").setInputFiles(root);
  const handedOver = await page.evaluate(() => performance.now());
  await page.waitForFunction(() => /images of/.test(document.querySelector(".import-summary").textContent) || document.querySelector(".import-panel .error").textContent.trim() !== "", null, { timeout: 600_000 });
  const importMs = Date.now() - t0;
  const summary = (await page.textContent(".import-summary")).trim();
  const [handOverMs, longestTaskMs] = await page.evaluate((at) => {
    const longest = (tasks) => tasks.reduce((m, [, d]) => Math.max(m, d), 0);
    return [longest(window.__tasks.filter(([s]) => s < at)), longest(window.__tasks.filter(([s]) => s >= at))];
  }, handedOver);

  await page.click(".train-here");
  await page.selectOption(".field.kind select", kind);
  // Ten epochs at batch 128 whatever the count (the page proposes more epochs for a set under
  // 3,840 training pictures), so figures stay comparable across counts and stops.
  for (const [field, value] of [["batch", 128], ["epochs", 10]]) {
    await page.fill(`.field.${field} input`, String(value));
    await page.press(`.field.${field} input`, "Tab");
  }
  await page.waitForSelector(".training-strip .strip-start:not([disabled])", { timeout: 60_000 });
  const t1 = Date.now();
  await page.click(".training-strip .strip-start");
  const pausesAnswered = [];
  for (let i = 0; i < Number(process.env.IMPORT_PAUSES ?? 0); i++) {
    await page.waitForFunction(() => /epoch [2-9]/.test(document.querySelector(".progress-text").textContent) && document.querySelector(".progress-text").dataset.state === "running", null, { timeout: 900_000 });
    pausesAnswered.push(Math.round(await pauseAnswered(page)));
    await page.click(".training-buttons .resume");
  }
  await page.waitForFunction(() => document.querySelector(".training-strip").dataset.state === "finished", null, { timeout: 900_000 });
  const trainMs = Date.now() - t1;
  const progress = (await page.textContent(".progress-text")).trim();
  // The trained model's test −ELBO on the pictures' test split, as the model line says it.
  // The last epoch's test −ELBO, read as a person would: the per-epoch chart's readout at its
  // right end.
  const chart = page.locator(".charts figure").nth(2).locator("svg.chart");
  await chart.scrollIntoViewIfNeeded();
  const box = await chart.boundingBox();
  await page.mouse.move(box.x + box.width - 3, box.y + box.height / 2);
  const readout = await chart.locator(".readout").textContent();
  const testNegElbo = Number(/test −ELBO ([\d.]+)/.exec(readout)?.[1] ?? NaN);
  const result = {
    files: count,
    shape,
    kind,
    import_ms: importMs,
    files_per_sec: Math.round((count / importMs) * 1000),
    longest_main_thread_task_during_import_ms: Math.round(longestTaskMs),
    longest_task_while_the_browser_hands_the_files_over_ms: Math.round(handOverMs),
    summary,
    train_start_to_finished_ms: trainMs,
    test_neg_elbo_after_10_epochs: testNegElbo,
    progress,
    ...(pausesAnswered.length > 0 ? { pause_answered_ms: pausesAnswered } : {}),
  };
  console.error(`import ${count} PNGs at ${shape}: ${importMs} ms (${result.files_per_sec}/s), longest task ${result.longest_main_thread_task_during_import_ms} ms (hand-over ${result.longest_task_while_the_browser_hands_the_files_over_ms} ms); Start → finished (${kind}) ${trainMs} ms, test −ELBO ${testNegElbo} nats; ${progress}`);
  console.log(JSON.stringify(result));
} finally {
  await browser.close();
  await server.close();
}
