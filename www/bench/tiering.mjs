// Which of the app's wasm functions the engine compiles with its optimising tier while the
// reference run trains, and how the run's pace follows. V8 runs a function first as baseline
// code (Liftoff) and recompiles it optimised (TurboFan) once it has run a while; a function that
// gets there only during the run spends the run's first seconds in slower code, and its
// compiling takes a core from training. The worker's warm-up (`worker/warm_up.rs`) exists for
// that; this tool shows what it leaves.
//
// Starts the system Chromium itself with `--js-flags=--trace-wasm-compilation-times` (its
// stdout lists every function compiled, by module and index), drives it over CDP, presses Start
// in a fresh page (at once, or after `LOOK` ms), and prints, for the worker's and the page's
// module, the functions compiled optimised between Start and "finished" (names from the wasm
// files' name sections: build with `LATENT_LAB_KEEP_NAMES=1 trunk build --release` to have
// them), with each epoch's steps a second as the strip shows them. A measuring tool; it never
// fails on a time.
//
// Usage: node www/bench/tiering.mjs [top (30)]
//        TIERING_DIST=dir/ another build, LOOK=ms before Start, CHROMIUM=path another browser

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { chromiumExecutable } from "../e2e/browser.mjs";
import { serve } from "../e2e/server.mjs";
import { wasmFunctions } from "./wasm-functions.mjs";

const top = Number(process.argv[2] ?? 30);
const dist = process.env.TIERING_DIST ?? fileURLToPath(new URL("../../dist/", import.meta.url));
const look = Number(process.env.LOOK ?? 0);

/** A wasm file's functions by index: their names and their bodies' sizes (the engine's trace
 * gives each compiled function's size, which tells the two modules apart). */
function readFunctions(path) {
  const { functions, named } = wasmFunctions(path);
  return {
    names: new Map(functions.map((f) => [f.index, f.name])),
    sizes: new Map(functions.map((f) => [f.index, f.size])),
    named,
  };
}

const modules = {
  worker: readFunctions(`${dist}worker_mt_bg.wasm`),
  page: readFunctions(`${dist}app_bg.wasm`),
};
if (!modules.worker.named || !modules.page.named) {
  console.error("the wasm files carry no function names: build with LATENT_LAB_KEEP_NAMES=1 to see them");
}

const compiled = []; // { at, module, index, tier, ms, body }
const executable = chromiumExecutable();
const server = await serve(dist);
// A profile of its own, so that a Chromium already running cannot take the launch over.
const profile = mkdtempSync(`${tmpdir()}/tiering-`);
const chrome = spawn(executable, [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
  `--user-data-dir=${profile}`, "--remote-debugging-port=0",
  "--js-flags=--trace-wasm-compilation-times", "about:blank",
]);
// Settles when Chromium has gone, however it went (an exit, a signal, or never started).
const gone = new Promise((resolve) => {
  chrome.once("exit", resolve);
  chrome.once("error", (e) => {
    console.error(`Chromium did not start: ${e.message}`);
    resolve();
  });
});
let pending = "";
chrome.stdout.on("data", (chunk) => {
  const lines = (pending + chunk).split("\n");
  pending = lines.pop();
  for (const line of lines) {
    // V8's line for each function compiled: module, index, tier, time (µs or ms), body size.
    const m = line.match(/Compiled function (0x[0-9a-f]+)#(\d+) using (\w+), took (\d+) ?([µμu]s|ms).*bodysize (\d+)/);
    if (m) {
      const [, module, index, tier, took, unit, body] = m;
      compiled.push({ at: Date.now(), module, index: Number(index), tier, ms: Number(took) / (unit === "ms" ? 1 : 1000), body: Number(body) });
    }
  }
});

let browser;
let result;
try {
  const endpoint = await new Promise((resolve, reject) => {
    let seen = "";
    const listen = (chunk) => {
      seen += chunk;
      const found = seen.match(/DevTools listening on (ws:\/\/\S+)/);
      if (found) {
        clearTimeout(timer);
        chrome.stderr.off("data", listen);
        resolve(found[1]);
      }
    };
    const timer = setTimeout(() => reject(new Error("Chromium did not open its DevTools port within 60 s")), 60_000);
    chrome.stderr.on("data", listen);
    gone.then(() => {
      clearTimeout(timer);
      reject(new Error("Chromium ended before it listened"));
    });
  });
  browser = await chromium.connectOverCDP(endpoint);
  // English, whatever the machine's language: the strip's words are read below.
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "en-US", serviceWorkers: "block" });
  const page = await context.newPage();
  await page.goto(server.url);
  await page.waitForSelector(".training-strip .strip-start:not([disabled])", { timeout: 120_000 });
  if (look > 0) await page.waitForTimeout(look);
  // The strip's "epoch N of M · step S", each time it changes (watching the strip only: cheap).
  await page.evaluate(() => {
    window.__where = [];
    const strip = document.querySelector(".training-strip");
    new MutationObserver(() => {
      const text = strip.querySelector(".strip-where")?.textContent ?? "";
      window.__where.push([performance.now(), text]);
    }).observe(strip, { subtree: true, childList: true, characterData: true });
  });
  const started = Date.now();
  const startedPage = await page.evaluate(() => performance.now());
  await page.click(".training-strip .strip-start");
  await page.waitForFunction(() => document.querySelector(".training-strip")?.dataset.state === "finished", null, { timeout: 600_000, polling: 50 });
  const finished = Date.now();
  const where = await page.evaluate(() => window.__where);
  result = { started, finished, startedPage, where };
  await context.close();
} finally {
  await browser?.close().catch(() => {});
  chrome.kill();
  const hard = setTimeout(() => chrome.kill("SIGKILL"), 10_000);
  await Promise.race([gone, new Promise((resolve) => setTimeout(resolve, 15_000))]);
  clearTimeout(hard);
  server.close();
  // Chromium's helper processes may still be writing to the profile as it goes: try again.
  try {
    rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  } catch (e) {
    console.error(`the profile ${profile} could not be removed: ${e.message}`);
  }
}

// Each epoch's steps a second: an epoch ends where the strip first shows the next one (the
// last where the run finished). English words: the page opens in English here.
const seen = [];
for (const [t, text] of result.where) {
  const m = text.match(/epoch (\d+) of (\d+) · step (\d+)/);
  if (m) seen.push({ t: t - result.startedPage, epoch: Number(m[1]), epochs: Number(m[2]), step: Number(m[3]), done: text.startsWith("finished") });
}
const epochRates = [];
if (seen.length === 0) console.error("the strip showed no \"epoch … of … · step …\": no pace by epoch");
let [t0, s0] = [0, 0];
for (let e = 1; seen.length > 0 && e <= seen[0].epochs; e++) {
  const end = seen.find((w) => w.epoch > e || w.done);
  if (!end) break;
  epochRates.push(Math.round((end.step - s0) / ((end.t - t0) / 1000)));
  [t0, s0] = [end.t, end.step];
}

// The module each compile belongs to: the file whose functions have the sizes the trace gives.
const byModule = new Map();
for (const c of compiled) {
  if (!byModule.has(c.module)) byModule.set(c.module, []);
  byModule.get(c.module).push(c);
}
const report = { start_to_finished_ms: result.finished - result.started, look_ms: look, epoch_steps_per_s: epochRates, modules: {} };
const clean = (name) => name.replace(/\[[0-9a-f]{16}\]/g, "").replace(/::h[0-9a-f]{16}$/, "");
for (const list of byModule.values()) {
  const fits = (file) => list.filter((c) => file.sizes.get(c.index) === c.body).length;
  const which = fits(modules.worker) >= fits(modules.page) ? "worker" : "page";
  const { names } = modules[which];
  const during = list.filter((c) => c.tier === "TurboFan" && c.at >= result.started && c.at <= result.finished);
  const before = list.filter((c) => c.tier === "TurboFan" && c.at < result.started);
  const entry = report.modules[which] ?? { optimised_before_start: 0, optimised_during_run: 0, compile_ms_during_run: 0, functions: [] };
  entry.optimised_before_start += before.length;
  entry.optimised_during_run += during.length;
  entry.compile_ms_during_run += during.reduce((sum, c) => sum + c.ms, 0);
  for (const c of during) {
    entry.functions.push({ s_after_start: (c.at - result.started) / 1000, compile_ms: c.ms, name: clean(names.get(c.index) ?? `#${c.index}`) });
  }
  report.modules[which] = entry;
}
console.error(`Start → finished ${report.start_to_finished_ms} ms (Start ${look} ms after Train enabled); steps/s by epoch: ${epochRates.join(" ")}`);
for (const [which, entry] of Object.entries(report.modules)) {
  entry.compile_ms_during_run = Math.round(entry.compile_ms_during_run);
  console.error(`\n${which}: ${entry.optimised_before_start} functions optimised before Start, ${entry.optimised_during_run} during the run (${entry.compile_ms_during_run} ms compiling); the costliest:`);
  const costly = [...entry.functions].sort((a, b) => b.compile_ms - a.compile_ms).slice(0, top);
  for (const f of costly) console.error(`  ${f.s_after_start.toFixed(2).padStart(6)} s  ${f.compile_ms.toFixed(1).padStart(6)} ms  ${f.name.slice(0, 110)}`);
}
console.log(JSON.stringify(report));
