// Why the training threads are off their cores: starts the reference run as a person does (as
// cores.mjs), records every context switch on the machine for `seconds` once training is under
// way (`perf record -e sched:sched_switch -g -a`), and prints, for the trainer and its helper,
// how much of the window each spent on a core, asleep (by the wasm function that waited: V8
// writes a symbol map for perf with `--perf-basic-prof`) and ready but preempted (by the other
// training thread, the page's main thread, the rest of the browser or the rest of the machine).
//
// V8's own profiler cannot say this: a thread in `memory.atomic.wait` is counted as running the
// function that waits (`run-profile.mjs` shows both training threads "busy" 99–100%). Linux
// only; needs `perf` (apt-get install linux-perf) and the right to trace the scheduler (root,
// or kernel.perf_event_paranoid = -1). A measuring tool: it never fails on a time.
//
// Usage: trunk build --release && node www/bench/off-cpu.mjs [seconds]
//        OFF_CPU_DIST=/path/to/other/dist/ node www/bench/off-cpu.mjs …   (another build)

import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { serve } from "../e2e/server.mjs";
import { launch } from "../e2e/browser.mjs";
import { threadTimes } from "./threads.mjs";

const seconds = Number(process.argv[2] ?? 2);
const dist = process.env.OFF_CPU_DIST ?? fileURLToPath(new URL("../../dist/", import.meta.url));

/** The worker threads of the machine's Chromium renderers: tid → its process and CPU ticks so far. */
function workerThreads() {
  const workers = [...threadTimes().values()].filter((t) => t.name.startsWith("DedicatedWorker"));
  return new Map(workers.map((t) => [t.tid, t]));
}

/** The trainer and its helper (in either order): the two worker threads that used the most CPU
 * over `ms`. */
async function trainingThreads(ms) {
  const before = workerThreads();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const used = [...workerThreads()].map(([tid, t]) => ({ tid, pid: t.pid, ticks: t.ticks - (before.get(tid)?.ticks ?? 0) }));
  return used.sort((a, b) => b.ticks - a.ticks).slice(0, 2);
}

/** `perf script`'s switches: time, the thread switched out, its state, the thread switched in,
 * and the names of the wasm and JS functions on the stack of the one switched out. */
function switches(text) {
  const events = [];
  let current = null;
  const header = /^\s*\d+\s+([\d.]+): sched:sched_switch: prev_comm=(.*) prev_pid=(\d+) prev_prio=\d+ prev_state=(\S+) ==> next_comm=(.*) next_pid=(\d+)/;
  for (const line of text.split("\n")) {
    const m = header.exec(line);
    if (m) {
      current = { t: Number(m[1]), out: m[3], state: m[4], inName: m[5], in: m[6], frames: [] };
      events.push(current);
    } else if (current && line.includes(" JS:")) {
      // "JS:name-index-tier": the name without its crate hashes, tier and index.
      current.frames.push(line.split(" JS:")[1].replace(/\[[0-9a-f]{16}\]/g, "").replace(/-\d+-(liftoff|turbofan)$/, ""));
    }
  }
  return events;
}

const server = await serve(dist);
const maps = new Set(readdirSync("/tmp").filter((f) => /^perf-\d+\.map$/.test(f)));
const work = mkdtempSync(join(tmpdir(), "latent-lab-off-cpu-"));
// The symbol map for perf, and no V8 log files in the current directory.
const browser = await launch({ args: ["--js-flags=--perf-basic-prof --no-logfile-per-isolate --logfile=/dev/null"] });
let report;
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(server.url);
  await page.waitForSelector(".training-strip .strip-start:not([disabled])", { timeout: 120_000 });
  await page.click(".training-strip .strip-start");
  await page.waitForFunction(() => /epoch [2-9]/.test(document.querySelector(".progress-text")?.textContent ?? ""), null, { timeout: 120_000 });
  const [first, second] = await trainingThreads(300);
  const pageMain = first.pid;
  const data = join(work, "perf.data");
  execFileSync("perf", ["record", "-q", "-o", data, "-e", "sched:sched_switch", "-g", "-a", "--", "sleep", String(seconds)], { stdio: ["ignore", "ignore", "inherit"] });
  const state = await page.evaluate(() => document.querySelector(".training-strip")?.dataset.state);
  const text = execFileSync("perf", ["script", "-i", data, "-F", "tid,time,event,trace,ip,sym"], { maxBuffer: 1 << 30, stdio: ["ignore", "pipe", "ignore"] }).toString();
  const events = switches(text);
  const span = events.at(-1).t - events[0].t;
  // The trainer is the one whose stacks pass through `Trainer::work`; its helper's never do.
  const trains = (tid) => events.filter((e) => e.out === tid && e.frames.some((f) => f.includes("Trainer>::work"))).length;
  const threads = trains(first.tid) >= trains(second.tid) ? { trainer: first.tid, helper: second.tid } : { trainer: second.tid, helper: first.tid };
  const who = (tid, name) => {
    if (tid === first.tid || tid === second.tid) return "the other training thread";
    if (tid === pageMain) return "the page's main thread";
    return /^(chromium|Chrome_|Compositor|VizCompositor|ThreadPool|CrGpu|GpuMemory)/.test(name) ? "the rest of the browser" : "the rest of the machine";
  };
  report = { seconds: span, still_training: state !== "finished", threads: {} };
  for (const [role, tid] of Object.entries(threads)) {
    const off = { asleep: {}, preempted: {} };
    let since = null;
    for (const e of events) {
      if (e.out === tid) since = e;
      else if (e.in === tid && since) {
        const ms = 1000 * (e.t - since.t);
        // The innermost frame calling into V8 to wait is missing from the stack perf walks:
        // the first named frame is the function that called it.
        const [bucket, key] = since.state.startsWith("S") ? ["asleep", `in ${since.frames[0] ?? "?"}`] : ["preempted", `by ${who(since.in, since.inName)}`];
        off[bucket][key] = (off[bucket][key] ?? 0) + ms;
        since = null;
      }
    }
    const total = (o) => Object.values(o).reduce((a, b) => a + b, 0);
    const share = (ms) => Number((ms / (10 * span)).toFixed(1));
    const top = (o) => Object.fromEntries(Object.entries(o).sort((a, b) => b[1] - a[1]).filter(([, ms]) => share(ms) > 0).slice(0, 5).map(([k, ms]) => [k, share(ms)]));
    report.threads[role] = {
      on_cpu_percent: share(1000 * span - total(off.asleep) - total(off.preempted)),
      asleep_percent: share(total(off.asleep)),
      preempted_percent: share(total(off.preempted)),
      asleep: top(off.asleep),
      preempted: top(off.preempted),
    };
  }
  await context.close();
} finally {
  await browser.close();
  server.close();
  rmSync(work, { recursive: true, force: true });
  for (const f of readdirSync("/tmp").filter((f) => /^perf-\d+\.map$/.test(f) && !maps.has(f))) unlinkSync(`/tmp/${f}`);
}
console.error(`${report.seconds.toFixed(1)} s of the reference run${report.still_training ? "" : " (it finished inside the window: take fewer seconds)"}, as shares of the window:`);
for (const [role, t] of Object.entries(report.threads)) {
  console.error(`${role}: on a core ${t.on_cpu_percent}%, asleep ${t.asleep_percent}%, ready but preempted ${t.preempted_percent}%`);
  for (const [k, v] of Object.entries(t.asleep)) console.error(`  asleep ${String(v).padStart(5)}%  ${k}`);
  for (const [k, v] of Object.entries(t.preempted)) console.error(`  preempted ${String(v).padStart(5)}%  ${k}`);
}
console.log(JSON.stringify(report));
