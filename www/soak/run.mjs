// The soak: trains the reference model (MLP-VAE z=20, hidden 400, batch 128) in the worker for
// a long time and samples memory once a minute: the page's and the worker's WebAssembly memory
// (reported by the app) and the page's JS heap after a forced garbage collection (Chrome
// DevTools Protocol). Prints a table on stderr and one JSON object on stdout, with the growth
// per minute after the warm-up (least squares). A measurement, not a test: it never fails on a
// number. Usage: node www/soak/run.mjs [minutes=30]; tools/soak builds first.

import { serve } from "../e2e/server.mjs";
import { launch } from "../e2e/browser.mjs";
import { fileURLToPath } from "node:url";

const minutes = Number(process.argv[2] ?? 30);
const WARM_UP_MINUTES = Math.min(5, Math.floor(minutes / 3));
const MB = 1e6;

/** Slope of y over x by least squares. */
function slope(points) {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p[0], 0) / n;
  const my = points.reduce((s, p) => s + p[1], 0) / n;
  const sxy = points.reduce((s, p) => s + (p[0] - mx) * (p[1] - my), 0);
  const sxx = points.reduce((s, p) => s + (p[0] - mx) ** 2, 0);
  return sxx > 0 ? sxy / sxx : 0;
}

const server = await serve(fileURLToPath(new URL("../../dist/", import.meta.url)));
const browser = await launch();
const context = await browser.newContext();
const page = await context.newPage({ viewport: { width: 1280, height: 900 } });
const errors = [];
page.on("pageerror", (e) => errors.push(String(e)));
const cdp = await context.newCDPSession(page);
await cdp.send("Performance.enable");

await page.goto(server.url);
await page.waitForSelector('.model-info[data-status="ready"]', { timeout: 60_000 });
await page.waitForSelector(".training-buttons .start:not([disabled])", { timeout: 60_000 });
await page.fill(".field.epochs input", "1000");
await page.press(".field.epochs input", "Tab");
await page.click(".training-buttons .start");
const started = Date.now();

async function sample(minute) {
  await cdp.send("HeapProfiler.collectGarbage");
  const { metrics } = await cdp.send("Performance.getMetrics");
  const metric = (name) => metrics.find((m) => m.name === name)?.value ?? NaN;
  const app = await page.evaluate(() => {
    const memory = document.querySelector(".memory");
    const text = document.querySelector(".progress-text").textContent;
    return {
      page: Number(memory?.dataset.pageBytes ?? NaN),
      worker: Number(memory?.dataset.workerBytes ?? NaN),
      step: Number(/step (\d+)/.exec(text)?.[1] ?? NaN),
      rate: Number(/(\d+) samples\/s/.exec(text)?.[1] ?? NaN),
      state: document.querySelector(".progress-text").dataset.state,
    };
  });
  return {
    minute,
    page_wasm_mb: app.page / MB,
    worker_wasm_mb: app.worker / MB,
    page_js_heap_mb: metric("JSHeapUsedSize") / MB,
    dom_nodes: metric("Nodes"),
    step: app.step,
    samples_per_sec: app.rate,
    state: app.state,
  };
}

const samples = [];
for (let minute = 1; minute <= minutes; minute++) {
  await page.waitForTimeout(Math.max(0, started + minute * 60_000 - Date.now()));
  const s = await sample(minute);
  samples.push(s);
  console.error(
    `${String(s.minute).padStart(3)} min  page wasm ${s.page_wasm_mb.toFixed(1).padStart(6)} MB  worker wasm ${s.worker_wasm_mb.toFixed(1).padStart(6)} MB  ` +
      `page JS heap ${s.page_js_heap_mb.toFixed(1).padStart(6)} MB  nodes ${String(s.dom_nodes).padStart(5)}  step ${s.step}  ${s.samples_per_sec} samples/s  ${s.state}`,
  );
}

const after = samples.filter((s) => s.minute > WARM_UP_MINUTES);
const growth = (key) => slope(after.map((s) => [s.minute, s[key]]));
const range = (key) => [Math.min(...after.map((s) => s[key])), Math.max(...after.map((s) => s[key]))];
const result = {
  minutes,
  warm_up_minutes: WARM_UP_MINUTES,
  growth_mb_per_minute_after_warm_up: {
    page_wasm: growth("page_wasm_mb"),
    worker_wasm: growth("worker_wasm_mb"),
    page_js_heap: growth("page_js_heap_mb"),
    dom_nodes_per_minute: growth("dom_nodes"),
  },
  range_after_warm_up_mb: {
    page_wasm: range("page_wasm_mb"),
    worker_wasm: range("worker_wasm_mb"),
    page_js_heap: range("page_js_heap_mb"),
  },
  steps: samples.at(-1)?.step,
  page_errors: errors,
  samples,
};
console.log(JSON.stringify(result));
await browser.close();
await server.close();
