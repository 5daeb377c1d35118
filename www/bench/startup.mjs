// Where the page's start-up spends the main thread: loads the built app (dist/, served as a
// host serves it) in headless Chromium with the CPU slowed as Lighthouse's mobile preset slows
// it (4×), and prints every long task (over 50 ms, the ones that make up Lighthouse's total
// blocking time) of the first seconds, their blocking sum, and the functions that took the
// most time inside them (inclusive, wasm names from the name section trunk keeps). A measuring
// tool, like the benchmarks; it never fails on a time.
//
// `--desktop` uses Lighthouse's desktop screen (1350×940) instead of its phone's (412×823).
// `--slow-network` applies Lighthouse's mobile network (150 ms, 1.6 Mbit/s) as well.
// `--all` names every function in a stretch, not only the page's own (leptos's, the glue's).
//
// `--callers a,b` prints the page's call chains that lead to functions whose names contain a or b.
//
// `--tasks` records a trace as well and lists each long task of the page's main thread as the
// browser ran it (not a guess from idle samples): what started it (a timer, a message, a fetch's
// promise, wasm compiling; nested events each count, so the figures overlap) and the page's
// functions sampled inside it; then the wasm functions compiled on their first call in those
// seconds, by crate (what a first screen's code is made of). `--no-samples` leaves the sampling
// profiler off: V8 then logs no code for it, which adds ~0.1 ms to each function's first call
// (a third of the compiling's time at start-up), so the trace's times are the page's own.
//
// Usage: tools/build-static && node www/bench/startup.mjs [seconds] [--slowdown N] [--zh] [--all]
//        [--callers names] [--slow-network] [--tasks [--no-samples]]
//        STARTUP_DIST=/path/to/other/dist/ node www/bench/startup.mjs …   (another build)

import { fileURLToPath } from "node:url";
import { serve } from "../e2e/server.mjs";
import { launch } from "../e2e/browser.mjs";
import { codeGroup, wasmFunctions } from "./wasm-functions.mjs";

const args = process.argv.slice(2);
const slowAt = args.indexOf("--slowdown");
const slowdown = slowAt >= 0 ? Number(args.splice(slowAt, 2)[1]) : 4;
const zhAt = args.indexOf("--zh");
const zh = zhAt >= 0 && args.splice(zhAt, 1).length > 0;
const callersAt = args.indexOf("--callers");
const callers = callersAt >= 0 ? args.splice(callersAt, 2)[1].split(",") : [];
const desktopAt = args.indexOf("--desktop");
const desktop = desktopAt >= 0 && args.splice(desktopAt, 1).length > 0;
const allAt = args.indexOf("--all");
const all = allAt >= 0 && args.splice(allAt, 1).length > 0;
const slowNetAt = args.indexOf("--slow-network");
const slowNetwork = slowNetAt >= 0 && args.splice(slowNetAt, 1).length > 0;
const tasksAt = args.indexOf("--tasks");
const traced = tasksAt >= 0 && args.splice(tasksAt, 1).length > 0;
const noSamplesAt = args.indexOf("--no-samples");
const sampled = !(noSamplesAt >= 0 && args.splice(noSamplesAt, 1).length > 0);
const seconds = Number(args[0] ?? 6);
const TOP = 40;

const dist = process.env.STARTUP_DIST ?? fileURLToPath(new URL("../../dist/", import.meta.url));
const server = await serve(dist);
const browser = await launch();
try {
  const context = await browser.newContext({ viewport: desktop ? { width: 1350, height: 940 } : { width: 412, height: 823 }, locale: zh ? "zh-CN" : "en-US" });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: slowdown });
  if (slowNetwork) {
    // Lighthouse's mobile preset's network (it simulates it; this applies it): 150 ms round
    // trips, 1.6 Mbit/s down, 750 kbit/s up. The tasks that wait on a download then come in
    // the order Lighthouse counts them in.
    await cdp.send("Network.enable");
    await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 150, downloadThroughput: (1.6 * 1024 * 1024) / 8, uploadThroughput: (750 * 1024) / 8 });
  }
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: 100 });
  await page.addInitScript(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longTasks.push([e.startTime, e.duration]);
    }).observe({ type: "longtask", buffered: true });
    // Layout shifts (what Lighthouse's CLS adds up) and the elements that moved.
    window.__shifts = [];
    const describe = (n) => (n ? `${n.nodeName.toLowerCase()}${n.className && typeof n.className === "string" ? "." + n.className.split(" ").join(".") : ""}` : "?");
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__shifts.push([e.startTime, e.value, e.sources.map((s) => `${describe(s.node)} ${s.previousRect.y}→${s.currentRect.y} h ${s.previousRect.height}→${s.currentRect.height} [${[...(s.node?.children ?? [])].map(describe).join(" ")}]`).join(", ")]);
    }).observe({ type: "layout-shift", buffered: true });
  });
  const trace = [];
  const traceDone = new Promise((resolve) => cdp.on("Tracing.tracingComplete", resolve));
  if (traced) {
    cdp.on("Tracing.dataCollected", ({ value }) => trace.push(...value));
    await cdp.send("Tracing.start", { categories: "toplevel,devtools.timeline,v8,v8.wasm,blink.user_timing", transferMode: "ReportEvents" });
  }
  if (sampled) await cdp.send("Profiler.start");
  const t0 = Date.now();
  await page.goto(server.url);
  await page.waitForTimeout(seconds * 1000);
  const { profile } = sampled ? await cdp.send("Profiler.stop") : { profile: { nodes: [], samples: [], timeDeltas: [], startTime: 0 } };
  if (traced) {
    await cdp.send("Tracing.end");
    await traceDone;
  }
  // The raw profile, for a look of one's own (chrome://inspect or a script).
  if (process.env.PROFILE_OUT) (await import("node:fs")).writeFileSync(process.env.PROFILE_OUT, JSON.stringify(profile));
  const tasks = await page.evaluate(() => window.__longTasks);
  const marks = await page.evaluate(() => performance.getEntriesByType("mark").map((m) => [m.name, Math.round(m.startTime)]));
  console.log(`CPU slowed ${slowdown}×, ${seconds} s after navigation (${Date.now() - t0} ms wall)`);
  let blocking = 0;
  for (const [start, duration] of tasks) {
    blocking += Math.max(0, duration - 50);
    console.log(`long task at ${Math.round(start).toString().padStart(5)} ms: ${Math.round(duration)} ms`);
  }
  const shifts = await page.evaluate(() => window.__shifts);
  for (const [start, value, nodes] of shifts) console.log(`layout shift at ${Math.round(start)} ms: ${value.toFixed(4)} (${nodes})`);
  console.log(`blocking time (sum of each long task's excess over 50 ms): ${Math.round(blocking)} ms`);
  if (marks.length) console.log("marks:", JSON.stringify(marks));

  // Every sample of the main thread in those seconds (start-up work is nearly all inside the
  // long tasks above; the profiler's clock is not the page's, so they are not matched up).
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const name = (id) => (nodes.get(id).callFrame.functionName || "(anonymous)").replace(/::h[0-9a-f]{16}$/, "");
  const inclusive = new Map();
  const self = new Map();
  const busy = (fn) => !/^\((root|program|idle|garbage collector)\)$/.test(fn);
  let counted = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    const dt = profile.timeDeltas[i + 1] ?? 0;
    if (!busy(name(id))) continue;
    counted += dt;
    self.set(name(id), (self.get(name(id)) ?? 0) + dt);
    const seen = new Set();
    for (let p = id; p; p = parent.get(p)) seen.add(name(p));
    for (const fn of seen) inclusive.set(fn, (inclusive.get(fn) ?? 0) + dt);
  }
  const ms = (us) => `${(us / 1000).toFixed(1).padStart(7)} ms`;
  console.log(`\nmain thread busy ${ms(counted)} (slowed), inclusive, top ${TOP}:`);
  for (const [fn, us] of [...inclusive].filter(([fn]) => busy(fn)).sort((a, b) => b[1] - a[1]).slice(0, TOP)) console.log(ms(us), fn.slice(0, 150));

  // The same samples cut where the thread went idle: each busy stretch is (about) one task.
  // For each over 50 ms, the page's own functions (latent_lab::…) that took most of it.
  console.log(`\nbusy stretches over 50 ms (slowed), with the page's functions that took most of each:`);
  let stretch = null;
  const stretches = [];
  let clock = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    clock += profile.timeDeltas[i];
    const id = profile.samples[i];
    const dt = profile.timeDeltas[i + 1] ?? 0;
    if (!busy(name(id))) {
      if (stretch) stretches.push(stretch);
      stretch = null;
      continue;
    }
    stretch ??= { start: clock, us: 0, fns: new Map() };
    stretch.us += dt;
    const seen = new Set();
    for (let p = id; p; p = parent.get(p)) if (all || name(p).startsWith("latent_lab::")) seen.add(name(p));
    for (const fn of seen) stretch.fns.set(fn, (stretch.fns.get(fn) ?? 0) + dt);
  }
  if (stretch) stretches.push(stretch);
  for (const s of stretches.filter((s) => s.us > 50_000)) {
    console.log(`${ms(s.us)} at ${ms(s.start - profile.startTime)} after the profile started:`);
    for (const [fn, us] of [...s.fns].sort((a, b) => b[1] - a[1]).slice(0, all ? 40 : 6)) console.log(`    ${ms(us)} ${fn.slice(0, 130)}`);
  }
  for (const want of callers) {
    const chains = new Map();
    for (let i = 0; i < profile.samples.length; i++) {
      const id = profile.samples[i];
      const dt = profile.timeDeltas[i + 1] ?? 0;
      let hit = null;
      for (let p = id; p; p = parent.get(p)) if (name(p).includes(want)) { hit = p; break; }
      if (!hit) continue;
      const chain = [];
      for (let p = parent.get(hit); p && chain.length < 6; p = parent.get(p)) if (name(p).startsWith("latent_lab::")) chain.push(name(p).replace("latent_lab::", "").slice(-70));
      const key = chain.join(" < ");
      chains.set(key, (chains.get(key) ?? 0) + dt);
    }
    console.log(`\ncallers of ${want}:`);
    for (const [key, us] of [...chains].sort((a, b) => b[1] - a[1]).slice(0, 8)) console.log(ms(us), key);
  }
  if (traced) {
    // The page's main thread: the renderer thread that ran the most tasks.
    const mains = trace.filter((e) => e.ph === "M" && e.name === "thread_name" && e.args?.name === "CrRendererMain");
    const tasksOf = (m) => trace.filter((e) => e.pid === m.pid && e.tid === m.tid && e.ph === "X" && e.name === "ThreadControllerImpl::RunTask");
    const main = mains.sort((a, b) => tasksOf(b).length - tasksOf(a).length)[0];
    const events = trace.filter((e) => e.pid === main.pid && e.tid === main.tid && e.ph === "X");
    const navigation = trace.find((e) => e.name === "navigationStart" && e.pid === main.pid)?.ts ?? events[0].ts;
    // The samples' times, on the trace's clock (both count microseconds of the same ticks).
    const sampleTimes = [];
    let at = profile.startTime;
    for (let i = 0; i < profile.samples.length; i++) sampleTimes.push((at += profile.timeDeltas[i]));
    // Lighthouse's mobile score slows what it saw 4×: with a smaller `--slowdown` a task counts
    // when it would be long at 4×.
    const scale = 4 / slowdown;
    let blockingTraced = 0;
    console.log(`\nlong tasks of the main thread (at 4×), from the trace (start after navigation, length as run), with what ran in them:`);
    for (const task of tasksOf(main).filter((t) => t.dur * scale > 50_000)) {
      blockingTraced += (task.dur * scale) / 1000 - 50;
      const end = task.ts + task.dur;
      const inside = new Map();
      for (const e of events) {
        if (e === task || e.ts < task.ts || e.ts >= end || e.name === "ThreadControllerImpl::RunTask") continue;
        const what = e.name === "EventDispatch" ? `EventDispatch ${e.args?.data?.type}` : e.name;
        inside.set(what, (inside.get(what) ?? 0) + (e.dur ?? 0));
      }
      const fns = new Map();
      for (let i = 0; i < sampleTimes.length; i++) {
        if (sampleTimes[i] < task.ts || sampleTimes[i] >= end) continue;
        const dt = profile.timeDeltas[i + 1] ?? 0;
        const seen = new Set();
        for (let p = profile.samples[i]; p; p = parent.get(p)) if (name(p).startsWith("latent_lab::")) seen.add(name(p));
        for (const fn of seen) fns.set(fn, (fns.get(fn) ?? 0) + dt);
      }
      console.log(`${ms(task.dur)} at ${ms(task.ts - navigation)}: ${[...inside].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([n, us]) => `${n} ${(us / 1000).toFixed(1)}`).join(", ")}`);
      for (const [fn, us] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, 6)) console.log(`    ${ms(us)} ${fn.slice(0, 130)}`);
    }
    console.log(`blocking time from the trace, at 4×: ${Math.round(blockingTraced)} ms`);
    // The page's wasm functions V8 compiled on their first call in these seconds, by crate
    // (or the app's module) and size: the code a first screen needs, what a smaller module
    // for it would hold.
    const { functions, named } = wasmFunctions(`${dist}/app_bg.wasm`);
    const byIndex = new Map(functions.map((f) => [f.index, f]));
    const compiles = events.filter((e) => e.name === "wasm.CompileLazy" && e.args?.func_index !== undefined);
    const groups = new Map();
    let [compileUs, compiledBytes] = [0, 0];
    for (const e of compiles) {
      const f = byIndex.get(e.args.func_index);
      const key = f ? codeGroup(f.name) : "?";
      const g = groups.get(key) ?? { us: 0, bytes: 0, count: 0 };
      g.us += e.dur;
      g.bytes += f?.size ?? 0;
      g.count++;
      groups.set(key, g);
      compileUs += e.dur;
      compiledBytes += f?.size ?? 0;
    }
    const codeBytes = functions.reduce((a, f) => a + f.size, 0);
    console.log(`\nwasm compiled on first call: ${compiles.length} functions, ${(compiledBytes / 1e6).toFixed(2)} MB of the page's ${(codeBytes / 1e6).toFixed(2)} MB of code, ${ms(compileUs)} as run${named ? "" : " (no names: build with LATENT_LAB_KEEP_NAMES=1)"}; by crate or module:`);
    for (const [key, g] of [...groups].sort((a, b) => b[1].us - a[1].us).slice(0, 15)) console.log(`${ms(g.us)} ${String(g.count).padStart(5)} functions ${(g.bytes / 1000).toFixed(0).padStart(6)} KB  ${key}`);
  }
} finally {
  await browser.close();
  server.close?.();
}
