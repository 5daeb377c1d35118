// The profile of one whole reference run, as a person runs it: opens a build's page at a desktop
// size with every default, records a CPU profile of every thread of the page's that runs code (the
// page's main thread, the training worker and, where there is one, its helper) from the moment
// Start is pressed until the page says the run finished, and prints, for each thread, how busy it
// was over the run and where its time went (self time by function, and by kind of work). Works on
// this build (the tool's strip) and on a build of `8b8399b` (its training panel), so Speed II's
// before and after can be profiled alike; `baseline.mjs`'s header says how to build that one.
// A measuring tool, like the benchmarks; it never fails on a time.
//
// Usage: trunk build --release && node www/bench/run-profile.mjs [dist/] [--top N] [--dump DIR]
//        (--dump writes each thread's raw profile to DIR/<thread>.cpuprofile, for a timeline)

import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { serve } from "../e2e/server.mjs";
import { launch } from "../e2e/browser.mjs";
import { workerSession } from "./worker-session.mjs";

const args = process.argv.slice(2);
const topAt = args.indexOf("--top");
const TOP = topAt >= 0 ? Number(args.splice(topAt, 2)[1]) : 12;
const dumpAt = args.indexOf("--dump");
const DUMP = dumpAt >= 0 ? args.splice(dumpAt, 2)[1] : null;
const dist = args[0] ?? fileURLToPath(new URL("../../dist/", import.meta.url));

/** Kinds of work, by the function names a profile shows (the first that matches). */
const KINDS = [
  ["idle", /^\(idle\)$/],
  // V8's own time outside any script; in a worker mostly `Atomics.wait`, the helper waiting for
  // its next job and the trainer for the helper's share (the profiler counts a wait as busy).
  ["(program): V8's own time (in a worker, Atomics.wait)", /^\(program\)$/],
  ["packing and transposes", /ml::kernels::transpose|Panels::from|held::packed/],
  ["sparse kernels (this project's)", /ml::kernels::(sparse|sparse_t|masked|sparse_rows|conv|deconv|tap_grad|patches)::/],
  ["dense products (gemm)", /^gemm|gemm_f32|gemm_common/],
  ["Adam's update", /optim|adam|apply_update|inplace_op/i],
  ["reconstruction loss (BCE)", /bce/i],
  ["candle's element-wise and copies", /candle_core::(cpu_backend|cpu::|tensor_cat|storage)|binary_map|unary_map|copy_strided|copy2d|zeros_impl|Map[12]/],
  ["memory (allocation, GC)", /dlmalloc|memcpy|memset|memmove|garbage collector/],
  // Calls between wasm and JS: in the workers mostly typed-array copies to and from the
  // `SharedArrayBuffer` the trainer and its helper share (`set`, `prototypesetcall`).
  ["JS glue and copies through JS", /^__wbg|wasm-to-js|js-to-wasm|externref shim|^[a-z][A-Za-z]*$/],
];

const server = await serve(dist);
const browser = await launch();
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(server.url);
  // This build's strip, or the training panel of a build from before it. The selector a build
  // does not have never settles (rather than rejecting later, when the browser closes).
  const start = await Promise.race(
    [".training-strip .strip-start:not([disabled])", ".training-buttons .start:not([disabled])"].map((s) =>
      page.waitForSelector(s, { timeout: 120_000 }).then(
        () => s,
        () => new Promise(() => {}),
      ),
    ),
  );
  const finished = start.includes("strip")
    ? () => document.querySelector(".training-strip")?.dataset.state === "finished"
    : () => document.querySelector(".progress-text")?.dataset.state === "finished";

  const threads = [{ name: "page main thread", send: await pageSession(page) }];
  for (const target of await workerTargets()) threads.push({ name: target.name, send: await workerSession(browser, target.targetId) });
  for (const t of threads) {
    await t.send("Profiler.enable");
    await t.send("Profiler.setSamplingInterval", { interval: 500 });
  }
  await Promise.all(threads.map((t) => t.send("Profiler.start")));
  const t0 = Date.now();
  await page.click(start);
  await page.waitForFunction(finished, null, { timeout: 600_000, polling: 20 });
  const wall = Date.now() - t0;
  const profiles = await Promise.all(threads.map(async (t) => (await t.send("Profiler.stop")).result.profile));
  const progress = (await page.textContent(".progress-text")).trim().replace(/\s+/g, " ");

  if (DUMP) {
    mkdirSync(DUMP, { recursive: true });
    threads.forEach((t, i) => writeFileSync(`${DUMP}/${t.name.replace(/ /g, "-")}.cpuprofile`, JSON.stringify(profiles[i])));
  }
  console.log(`${dist}: Start → finished ${(wall / 1000).toFixed(2)} s (${progress})`);
  const summary = { start_to_finished_ms: wall, threads: {} };
  threads.forEach((t, i) => {
    const { busy, computing, kinds, top } = digest(profiles[i]);
    summary.threads[t.name] = { busy_percent: Number((100 * busy).toFixed(1)), computing_percent: Number((100 * computing).toFixed(1)), kinds };
    console.log(`\n${t.name}: busy ${(100 * busy).toFixed(1)}% of the run, computing ${(100 * computing).toFixed(1)}% (in a script, not in "(program)")`);
    console.log("  by kind (share of the run):");
    for (const [kind, share] of Object.entries(kinds)) console.log(`  ${share.toFixed(1).padStart(5)}% ${kind}`);
    console.log(`  top ${TOP} functions (share of the run):`);
    for (const [fn, share] of top) console.log(`  ${share.toFixed(1).padStart(5)}% ${fn}`);
  });
  console.log(JSON.stringify(summary));
} finally {
  await browser.close();
  server.close?.();
}

/** Busy share, shares by kind and the top functions of a thread's profile. */
function digest(profile) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const name = (id) => (nodes.get(id).callFrame.functionName || "(program)").replace(/::h[0-9a-f]{16}$/, "");
  // Profiling starts just before Start is pressed and stops once the run has finished, so every
  // sample is the run's.
  const counts = new Map();
  let total = 0;
  profile.samples.forEach((id) => {
    const fn = name(id);
    counts.set(fn, (counts.get(fn) ?? 0) + 1);
    total += 1;
  });
  const share = (n) => (100 * n) / Math.max(total, 1);
  const kinds = {};
  for (const [fn, n] of counts) {
    const kind = KINDS.find(([, re]) => re.test(fn))?.[0] ?? "other";
    kinds[kind] = (kinds[kind] ?? 0) + share(n);
  }
  const sortedKinds = Object.fromEntries(Object.entries(kinds).sort((a, b) => b[1] - a[1]));
  const top = [...counts].filter(([fn]) => !/^\((idle|program)\)$/.test(fn)).sort((a, b) => b[1] - a[1]).slice(0, TOP).map(([fn, n]) => [fn.slice(-90), share(n)]);
  const part = (fn) => (counts.get(fn) ?? 0) / Math.max(total, 1);
  return { busy: 1 - part("(idle)"), computing: 1 - part("(idle)") - part("(program)"), kinds: sortedKinds, top };
}

async function pageSession(page) {
  const session = await page.context().newCDPSession(page);
  return async (method, params = {}) => ({ result: await session.send(method, params) });
}

/** The page's worker targets that train: the training worker and its helper (`role=helper`),
 * which the training worker starts once it is ready (waited for up to 3 s; a page that is not
 * cross-origin isolated, or a build from before the threads, has none). */
async function workerTargets() {
  const session = await browser.newBrowserCDPSession();
  let workers = [];
  for (let i = 0; i < 30; i++) {
    const { targetInfos } = await session.send("Target.getTargets");
    workers = targetInfos.filter((t) => t.type === "worker" && !/role=(?!helper)/.test(t.url));
    if (workers.some((t) => /role=helper/.test(t.url))) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await session.detach();
  return workers.map((t) => ({ targetId: t.targetId, name: /role=helper/.test(t.url) ? "helper worker" : "training worker" }));
}
