// Why the training threads are off their cores: starts the reference run as a person does (as
// cores.mjs), records the machine's context switches and wake-ups for `seconds` once training is
// under way (`perf record -e sched:sched_switch -e sched:sched_wakeup -g -a`), and prints, for
// the trainer and its helper, how much of the window each spent on a core, asleep (by the wasm
// function that waited: V8 writes a symbol map for perf with `--perf-basic-prof`), woken but not
// yet on a core, and ready but preempted (by the other training thread, the page's main thread,
// the rest of the browser or the rest of the machine). It picks the machine's two busiest
// worker threads: run nothing else in a browser meanwhile.
//
// V8's own profiler cannot say this: a thread in `memory.atomic.wait` is counted as computing
// in the function that waits (`run-profile.mjs` shows both training threads busy 99–100%).
// Linux only; needs `perf` (apt-get install linux-perf) and root (to trace the scheduler). A
// measuring tool: it never fails on a time.
//
// Usage: trunk build --release && node www/bench/off-cpu.mjs [seconds]
//        OFF_CPU_DIST=/path/to/other/dist/ node www/bench/off-cpu.mjs …   (another build)

import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { serve } from "../e2e/server.mjs";
import { launch } from "../e2e/browser.mjs";
import { outsideTheWorker, threadTimes, trainingPastItsStart } from "./threads.mjs";

const run = promisify(execFile);

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

/** `perf script`'s scheduler events, in time order: switches (the thread switched out, its state,
 * the one switched in, and the names of the wasm and JS functions on the stack of the one
 * switched out) and wake-ups (the thread woken). */
function schedulerEvents(text) {
  const events = [];
  let current = null;
  const switched = /^\s*\d+\s+([\d.]+): sched:sched_switch: prev_comm=.* prev_pid=(\d+) prev_prio=\d+ prev_state=(\S+) ==> next_comm=(.*) next_pid=(\d+)/;
  const woken = /^\s*\d+\s+([\d.]+): sched:sched_wakeup: comm=.* pid=(\d+) prio=/;
  for (const line of text.split("\n")) {
    const s = switched.exec(line);
    const w = s ? null : woken.exec(line);
    if (s) {
      current = { t: Number(s[1]), out: s[2], state: s[3], inName: s[4], in: s[5], frames: [] };
      events.push(current);
    } else if (w) {
      current = null; // its stack is the waker's
      events.push({ t: Number(w[1]), woken: w[2] });
    } else if (current && line.includes(" JS:")) {
      // "JS:name-index-tier": the name without its crate hashes, index and tier.
      current.frames.push(line.split(" JS:")[1].replace(/\[[0-9a-f]{1,16}\]/g, "").replace(/-\d+-(liftoff|turbofan)$/, ""));
    }
  }
  if (!events.some((e) => e.out)) {
    throw new Error(`off-cpu: no context switch read from perf script, which printed: ${text.slice(0, 300)}`);
  }
  return events;
}

/** Runs perf with `args`; a missing perf is said plainly. */
async function perf(args, options) {
  try {
    return await run("perf", args, { maxBuffer: 1 << 30, ...options });
  } catch (e) {
    if (e.code === "ENOENT") throw new Error("off-cpu needs perf: apt-get install linux-perf");
    throw e;
  }
}

/** Where `tid`'s time off a core went over the window: asleep, by the function that waited; woken
 * but not yet on a core; ready but preempted, by whom (`who(tid, name)`). In ms. */
function offCpu(events, tid, who) {
  const off = { asleep: {}, woken: 0, preempted: {} };
  const add = (bucket, key, ms) => (bucket[key] = (bucket[key] ?? 0) + ms);
  let out = null;
  let wokenAt = null;
  for (const e of events) {
    if (e.out === tid) {
      [out, wokenAt] = [e, null];
    } else if (e.woken === tid && out && wokenAt === null) {
      wokenAt = e.t;
    } else if (e.in === tid && out) {
      if (/^R/.test(out.state)) {
        add(off.preempted, `by ${who(out.in, out.inName)}`, 1000 * (e.t - out.t));
      } else {
        // The innermost frame, the one calling into V8 to wait, is missing from the stacks perf
        // walks: the first named frame is the function that called it.
        const until = wokenAt ?? e.t;
        const state = out.state.startsWith("S") ? "" : ` (state ${out.state})`;
        add(off.asleep, `in ${out.frames[0] ?? "?"}${state}`, 1000 * (until - out.t));
        off.woken += 1000 * (e.t - until);
      }
      out = null;
    }
  }
  return off;
}

const server = await serve(dist);
const maps = new Set(readdirSync("/tmp").filter((f) => /^perf-\d+\.map$/.test(f)));
const work = mkdtempSync(join(tmpdir(), "latent-lab-off-cpu-"));
// The symbol map for perf, and no V8 log files in the current directory.
const browser = await launch({ args: ["--js-flags=--perf-basic-prof --no-logfile-per-isolate --logfile=/dev/null"] });
let report;
try {
  const { context, page } = await trainingPastItsStart(browser, server.url);
  const [first, second] = await trainingThreads(300);
  if (!second) throw new Error("off-cpu: the worker is not training on two threads (is the page cross-origin isolated?)");
  const rendererPid = first.pid;
  // Every thread's process and name, for the groups of those that preempt the training threads.
  const known = new Map([...threadTimes().values()].map((t) => [t.tid, t]));
  const data = join(work, "perf.data");
  await perf(["record", "-q", "-o", data, "-e", "sched:sched_switch", "-e", "sched:sched_wakeup", "-g", "-a", "--", "sleep", String(seconds)]);
  const state = await page.evaluate(() => document.querySelector(".training-strip")?.dataset.state);
  const { stdout } = await perf(["script", "-i", data, "-F", "tid,time,event,trace,ip,sym"]);
  const events = schedulerEvents(stdout);
  const span = events.at(-1).t - events[0].t;
  // The trainer is the one whose stacks pass through `Trainer::work`; its helper's never do.
  const trains = (tid) => events.filter((e) => e.out === tid && e.frames.some((f) => /Trainer>?::work/.test(f))).length;
  if (trains(first.tid) + trains(second.tid) === 0) {
    throw new Error("off-cpu: no stack names the trainer (Trainer::work): were the worker's function names stripped?");
  }
  const threads = trains(first.tid) >= trains(second.tid) ? { trainer: first.tid, helper: second.tid } : { trainer: second.tid, helper: first.tid };
  const who = (tid, name) => {
    if (tid === first.tid || tid === second.tid) return "the other training thread";
    if (known.has(tid)) return outsideTheWorker(known.get(tid), rendererPid);
    // Born during the window.
    return /^(chromium|Chrome_|Compositor|VizCompositor|ThreadPool|CrGpu|DedicatedWorker)/.test(name) ? "the rest of the browser" : "the rest of the machine";
  };
  report = { seconds: span, still_training: state !== "finished", threads: {} };
  const share = (ms) => Number((ms / (10 * span)).toFixed(1));
  const total = (o) => Object.values(o).reduce((a, b) => a + b, 0);
  const top = (o) => Object.fromEntries(Object.entries(o).sort((a, b) => b[1] - a[1]).filter(([, ms]) => share(ms) > 0).slice(0, 5).map(([k, ms]) => [k, share(ms)]));
  for (const [role, tid] of Object.entries(threads)) {
    const off = offCpu(events, tid, who);
    report.threads[role] = {
      on_cpu_percent: share(1000 * span - total(off.asleep) - off.woken - total(off.preempted)),
      asleep_percent: share(total(off.asleep)),
      woken_waiting_percent: share(off.woken),
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
  for (const f of readdirSync("/tmp").filter((f) => /^perf-\d+\.map$/.test(f) && !maps.has(f))) {
    try {
      unlinkSync(`/tmp/${f}`);
    } catch {}
  }
}
console.error(`${report.seconds.toFixed(1)} s of the reference run${report.still_training ? "" : " (it finished inside the window: take fewer seconds)"}, as shares of the window:`);
for (const [role, t] of Object.entries(report.threads)) {
  console.error(`${role}: on a core ${t.on_cpu_percent}%, asleep ${t.asleep_percent}%, woken but waiting for a core ${t.woken_waiting_percent}%, ready but preempted ${t.preempted_percent}%`);
  for (const [k, v] of Object.entries(t.asleep)) console.error(`  asleep ${String(v).padStart(5)}%  ${k}`);
  for (const [k, v] of Object.entries(t.preempted)) console.error(`  preempted ${String(v).padStart(5)}%  ${k}`);
}
console.log(JSON.stringify(report));
