// Page benchmark: opens the trunk-built app (dist/, served cross-origin isolated so
// performance.now() is fine-grained) with ?bench, runs the in-page benchmark on every
// pretrained model, and prints one JSON object (a table on stderr). It never fails on a time.
//
// Usage: trunk build --release && node www/bench/page.mjs
//        PAGE_DIST=/path/to/other/dist/ node www/bench/page.mjs   (another build)

import { fileURLToPath } from "node:url";
import { serve } from "../e2e/server.mjs";
import { launch } from "../e2e/browser.mjs";
import { readThrough } from "../e2e/read-through.mjs";

const dist = process.env.PAGE_DIST ?? fileURLToPath(new URL("../../dist/", import.meta.url));
const MODELS = ["mlp-vae-z2", "mlp-vae-z16", "conv-vae-z16", "ae-z16"];

const server = await serve(dist);
const browser = await launch();
try {
  const page = await browser.newPage();
  const loadStart = Date.now();
  await page.goto(`${server.url}?bench`);
  await page.waitForSelector('.model-info[data-status="ready"]', { timeout: 60_000 });
  const firstDigitMs = Date.now() - loadStart;
  await readThrough(page);
  await page.waitForFunction(() => !document.querySelector(".interpolation-panel .error").textContent.includes("unavailable") && document.querySelectorAll(".strip canvas").length > 0);
  const rows = [];
  for (const id of MODELS) {
    await page.selectOption("#model-select", `pretrained:${id}`);
    await page.waitForSelector(`.model-info[data-model="pretrained:${id}"]`, { timeout: 60_000 });
    await page.click("#bench-run");
    await page.waitForFunction(
      (id) => {
        const text = document.querySelector("#bench-results").textContent;
        return text.includes(`"model":"pretrained:${id}"`) || text.includes(`"error"`);
      },
      id,
      { timeout: 300_000 },
    );
    const row = JSON.parse(await page.textContent("#bench-results"));
    if (row.error) throw new Error(`the page benchmark failed on ${id}: ${row.error}`);
    rows.push(row);
  }
  const result = { page_load_to_first_digit_ms: firstDigitMs, models: rows };
  console.error("model            decode 1   10x10    15x15  sheet 10x10 15x15  draw->recon  plot 500 (candle's path) (median ms)");
  for (const r of rows) {
    const f = (v) => (v == null ? "   -   " : v.toFixed(3).padStart(8));
    console.error(`${r.model.padEnd(28)} ${f(r.decode_1_ms)} ${f(r.decode_10x10_ms)} ${f(r.decode_15x15_ms)} ${f(r.sheet_10x10_ms)} ${f(r.sheet_15x15_ms)} ${f(r.draw_to_reconstruct_ms)}    ${f(r.plot_500_ms)} (${f(r.plot_500_candle_ms)})`);
  }
  console.log(JSON.stringify(result));
} finally {
  await browser.close();
  await server.close();
}
