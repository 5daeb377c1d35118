// "Hidden structure", as a person runs it: the generated shapes chosen in the Data menu (click →
// every chapter uses them: the drawing in the page), then a preset run (the β-VAE, β = 4, or
// `--plain`: β = 1) from Start to "finished", with the factors chapter in view reading MIG after
// each epoch. Prints each epoch's time, samples/s and MIG on stderr and one JSON object on
// stdout; never fails on a time.
//
// Usage: trunk build --release && node www/bench/sprites.mjs [epochs] [--plain]

import { fileURLToPath } from "node:url";
import { serve } from "../e2e/server.mjs";
import { launch } from "../e2e/browser.mjs";
import { readThrough } from "../e2e/read-through.mjs";

const args = process.argv.slice(2);
const epochs = Number(args.find((a) => /^\d+$/.test(a)) ?? 12);
const preset = args.includes("--plain") ? "plain-vae" : "beta-vae";
const server = await serve(fileURLToPath(new URL("../../dist/", import.meta.url)));
const browser = await launch();
const result = { preset, epochs, epoch_log: [] };
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(server.url);
  await page.waitForSelector('.model-info[data-status="ready"]', { timeout: 60_000 });
  await readThrough(page);
  const t0 = Date.now();
  await page.selectOption("#data-select", "generated:sprites");
  await page.waitForFunction(() => /“sprites” \(10,080 pictures/.test(document.querySelector(".data-in-use")?.textContent ?? ""), null, { timeout: 60_000, polling: 10 });
  result.choose_to_data_in_use_ms = Date.now() - t0;
  await page.click(`.training-panel .preset.${preset}`);
  await page.fill(".field.epochs input", String(epochs));
  await page.press(".field.epochs input", "Tab");
  await page.waitForSelector(".training-buttons .start:not([disabled])", { timeout: 60_000 });
  await page.locator(".factors-panel").scrollIntoViewIfNeeded();
  const start = Date.now();
  await page.click(".training-buttons .start");
  for (let e = 1; e <= epochs; e++) {
    // Each epoch's reading of the code (or the finished model's, after the last).
    // (A run's first model, read before it trains, is named by its settings: not an epoch's.)
    await page.waitForFunction((n) => (new RegExp(`after epoch ${n}\\b`).test(document.querySelector(".factors-status")?.textContent ?? "") && !/Reading again/.test(document.querySelector(".factors-status").textContent)) || document.querySelector(".training-strip")?.dataset.state === "finished", e, { timeout: 900_000, polling: 50 });
    const text = (await page.textContent(".progress-text")).trim();
    const rate = Number(/([\d.]+) samples\/s/.exec(text)?.[1] ?? NaN);
    const table = await page.$eval(".factor-table", (t) => ({ mig: Number(t.dataset.mig), took_ms: Number(t.dataset.tookMs) }));
    result.epoch_log.push({ epoch: e, at_ms: Date.now() - start, samples_per_sec: rate, ...table });
    if (await page.$eval(".training-strip", (s) => s.dataset.state === "finished")) break;
  }
  await page.waitForFunction(() => document.querySelector(".training-strip")?.dataset.state === "finished", null, { timeout: 900_000, polling: 20 });
  result.start_to_finished_ms = Date.now() - start;
  // The last reading is of the finished model.
  await page.waitForFunction(() => /MIG [\d.]+ for Conv-VAE/.test(document.querySelector(".factors-status")?.textContent ?? ""), null, { timeout: 120_000 });
  result.mig = Number(await page.getAttribute(".factor-table", "data-mig"));
  result.neg_elbo = Number(await page.getAttribute(".epoch-figure", "data-neg-elbo"));
  result.progress = (await page.textContent(".progress-text")).trim();
} finally {
  await browser.close();
  server.close();
}
for (const e of result.epoch_log) console.error(`epoch ${e.epoch}: read at ${(e.at_ms / 1000).toFixed(1)} s, ${e.samples_per_sec} samples/s, MIG ${e.mig} (reading took ${e.took_ms} ms)`);
console.error(`${preset}: shapes in use after ${result.choose_to_data_in_use_ms} ms; Start → finished ${(result.start_to_finished_ms / 1000).toFixed(1)} s; test −ELBO ${result.neg_elbo}; MIG ${result.mig}`);
console.log(JSON.stringify(result));
