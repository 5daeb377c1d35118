// Where a training step spends its time: starts the reference model training in the trunk-built
// app (dist/) in headless Chromium, records a CPU profile of the Web Worker through the DevTools
// protocol, and prints the functions with the most self time (wasm names come from the name
// section trunk keeps). `--callers a,b` also prints the call chains leading to functions whose
// names contain a or b. A measuring tool, like the benchmarks; it never fails on a time.
//
// `--conv` profiles the Conv-VAE z=16 c=32 instead of the MLP-VAE z=20 h=400; `--pictures SHAPE`
// (an import menu label, e.g. "64×64 colour") trains on 300 generated pictures of that shape
// instead of the digits (the import worker's own target is skipped). `--helper` profiles the
// training worker's helper (its second thread) instead of the worker itself; `--page` the page's
// main thread while the worker trains (what the explorer, the charts and the library cost the
// cores), with its busy share and the inclusive time of the functions it names.
//
// Usage: trunk build --release && node www/bench/profile.mjs [seconds] [--callers names] [--conv]
//        [--pictures SHAPE] [--helper | --page]
//        PROFILE_OUT=file.json keeps the profile (for a timeline); PROFILE_ONE_THREAD=1 serves the page
//        without cross-origin isolation, so the worker trains without its helper; PROFILE_BATCH=32
//        trains with another batch size (what each step costs whatever its digits shows more).

import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { pngRgb } from "../e2e/png.mjs";
import { serve } from "../e2e/server.mjs";
import { launch } from "../e2e/browser.mjs";
import { readThrough } from "../e2e/read-through.mjs";
import { workerSession } from "./worker-session.mjs";

const args = process.argv.slice(2);
const callersAt = args.indexOf("--callers");
const callers = callersAt >= 0 ? args.splice(callersAt, 2)[1].split(",") : [];
const convAt = args.indexOf("--conv");
const conv = convAt >= 0 && args.splice(convAt, 1).length > 0;
const picturesAt = args.indexOf("--pictures");
const pictures = picturesAt >= 0 ? args.splice(picturesAt, 2)[1] : null;
const helperAt = args.indexOf("--helper");
const helper = helperAt >= 0 && args.splice(helperAt, 1).length > 0;
const pageAt = args.indexOf("--page");
const onPage = pageAt >= 0 && args.splice(pageAt, 1).length > 0;
const seconds = Number(args[0] ?? 8);
const TOP = 30;

const dist = process.env.PROFILE_DIST ?? fileURLToPath(new URL("../../dist/", import.meta.url));
const server = await serve(dist, { isolated: !process.env.PROFILE_ONE_THREAD });
const browser = await launch();
try {
  const page = await browser.newPage();
  await page.goto(server.url);
  await page.waitForSelector('.model-info[data-status="ready"]', { timeout: 60_000 });
  await readThrough(page);
  await page.waitForSelector(".training-buttons .start:not([disabled])", { timeout: 60_000 });
  if (pictures) {
    // 300 pictures of warm discs on cool paper, each different, imported and used.
    const root = join(mkdtempSync(join(tmpdir(), "latent-lab-profile-")), "discs");
    mkdirSync(root);
    for (let i = 0; i < 300; i++) {
      const [cx, cy, r] = [20 + (i % 15) * 4, 20 + Math.floor(i / 15) * 3, 8 + (i % 7) * 3];
      writeFileSync(join(root, `${i}.png`), pngRgb(96, 96, (x, y) => ((x - cx) ** 2 + (y - cy) ** 2 < r * r ? [230, 60 + i % 100, 30] : [30, 70, 190])));
    }
    await page.locator(".import-panel select").first().selectOption({ label: pictures });
    await page.locator(".import-folder").setInputFiles(root);
    await page.waitForFunction(() => /images of/.test(document.querySelector(".import-summary").textContent), null, { timeout: 120_000 });
    await page.click(".train-here");
    await page.waitForSelector(".training-buttons .start:not([disabled])", { timeout: 60_000 });
  }
  if (conv) await page.selectOption(".field.kind select", "conv-vae");
  for (const [field, value] of [["latent", conv ? 16 : 20], ["hidden", conv ? 32 : 400], ["batch", Number(process.env.PROFILE_BATCH ?? 128)], ["epochs", 1000]]) {
    await page.fill(`.field.${field} input`, String(value));
    await page.press(`.field.${field} input`, "Tab");
  }
  await page.click(".training-buttons .start");
  await page.waitForTimeout(4000); // past the first epoch's warm-up

  let send;
  if (onPage) {
    const pageSession = await page.context().newCDPSession(page);
    send = async (method, params = {}) => ({ result: await pageSession.send(method, params) });
  } else {
    send = await trainingWorkerSession(helper);
  }
  await send("Profiler.enable");
  await send("Profiler.setSamplingInterval", { interval: 200 });
  await send("Profiler.start");
  await page.waitForTimeout(seconds * 1000);
  const { profile } = (await send("Profiler.stop")).result;
  if (process.env.PROFILE_OUT) writeFileSync(process.env.PROFILE_OUT, JSON.stringify(profile));

  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const samples = new Map();
  for (const s of profile.samples) samples.set(s, (samples.get(s) ?? 0) + 1);
  const total = profile.samples.length;
  const name = (id) => (nodes.get(id).callFrame.functionName || "(program)").replace(/::h[0-9a-f]{16}$/, "");
  const selfTime = new Map();
  for (const [id, count] of samples) selfTime.set(name(id), (selfTime.get(name(id)) ?? 0) + count);
  const pct = (count) => `${((100 * count) / total).toFixed(1).padStart(5)}%`;
  const who = onPage ? "page main thread" : helper ? "helper" : "worker";
  if (onPage) {
    const idle = [...samples].filter(([id]) => name(id) === "(idle)").reduce((a, [, c]) => a + c, 0);
    console.log(`page main thread busy ${(100 * (1 - idle / total)).toFixed(1)}% of ${seconds} s`);
    // Inclusive time: every function named on a sample's stack counts that sample once.
    const inclusive = new Map();
    for (const [id, count] of samples) {
      const seen = new Set();
      for (let p = id; p; p = parent.get(p)) seen.add(name(p));
      for (const fn of seen) inclusive.set(fn, (inclusive.get(fn) ?? 0) + count);
    }
    console.log(`inclusive time, top ${TOP}:`);
    for (const [fn, count] of [...inclusive].filter(([fn]) => !/^\((root|program|idle)\)$/.test(fn)).sort((a, b) => b[1] - a[1]).slice(0, TOP)) console.log(pct(count), fn);
  }
  console.log(`${who} self time over ${seconds} s (${total} samples), top ${TOP}:`);
  for (const [fn, count] of [...selfTime].sort((a, b) => b[1] - a[1]).slice(0, TOP)) console.log(pct(count), fn);
  for (const want of callers) {
    const chains = new Map();
    for (const [id, count] of samples) {
      if (!name(id).includes(want)) continue;
      const chain = [];
      for (let p = parent.get(id); p && chain.length < 5; p = parent.get(p)) chain.push(name(p).slice(-60));
      const key = chain.join(" < ");
      chains.set(key, (chains.get(key) ?? 0) + count);
    }
    console.log(`\ncallers of ${want}:`);
    for (const [key, count] of [...chains].sort((a, b) => b[1] - a[1]).slice(0, 6)) console.log(pct(count), key);
  }

  /** A profiler session of the training worker (or its helper). */
  async function trainingWorkerSession(helper) {
    const session = await browser.newBrowserCDPSession();
    const { targetInfos } = await session.send("Target.getTargets");
    await session.detach();
    // The training worker's address has no role; its helper's says role=helper.
    const worker = targetInfos.find((t) => t.type === "worker" && (helper ? /role=helper/ : /^[^?]*(\?(?!.*role=).*)?$/).test(t.url));
    if (!worker) throw new Error("no worker target: did training start?");
    return workerSession(browser, worker.targetId);
  }
} finally {
  await browser.close();
  server.close?.();
}
