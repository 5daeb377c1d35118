// Who has the cores while the reference run trains: starts it as a person does (the page with
// every default, Start pressed in the strip, as start.mjs), reads the CPU time of every thread of
// every process on the machine from /proc twice, `seconds` apart, once training is under way,
// and prints each busy thread's share of one core, grouped: the worker's threads (the trainer and
// its helper), the page's main thread, the rest of the browser (compositing, rasterising, the GPU
// process's software drawing, V8's background threads), and the rest of the machine. On
// two cores every share outside the worker's comes out of a training thread's core. Linux only
// (it reads /proc); a measuring tool, it never fails on a time.
//
// Usage: trunk build --release && node www/bench/cores.mjs [seconds]
//        CORES_DIST=/path/to/other/dist/ node www/bench/cores.mjs …   (another build)

import { fileURLToPath } from "node:url";
import { serve } from "../e2e/server.mjs";
import { launch } from "../e2e/browser.mjs";
import { TICKS_PER_S, outsideTheWorker, threadTimes, trainingPastItsStart } from "./threads.mjs";

const seconds = Number(process.argv[2] ?? 4);
const dist = process.env.CORES_DIST ?? fileURLToPath(new URL("../../dist/", import.meta.url));

/** Which group a thread's time counts to. */
function group(thread, rendererPid) {
  return thread.name.startsWith("DedicatedWorker") ? "the worker (trainer and helper)" : outsideTheWorker(thread, rendererPid);
}

const server = await serve(dist);
const browser = await launch();
let report;
try {
  const { context, page } = await trainingPastItsStart(browser, server.url);
  const before = threadTimes();
  const t0 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const after = threadTimes();
  const elapsed = (performance.now() - t0) / 1000;
  const state = await page.evaluate(() => document.querySelector(".training-strip")?.dataset.state);
  // The renderer is the process whose threads include the worker's.
  const workerKey = [...after].find(([, t]) => t.name.startsWith("DedicatedWorker"))?.[0];
  const rendererPid = workerKey?.split("/")[0];
  const threads = [];
  for (const [key, t] of after) {
    const ticks = t.ticks - (before.get(key)?.ticks ?? 0);
    if (ticks > 0) threads.push({ key, ...t, share: ticks / TICKS_PER_S / elapsed, group: group(t, rendererPid) });
  }
  threads.sort((a, b) => b.share - a.share);
  const groups = {};
  for (const t of threads) groups[t.group] = (groups[t.group] ?? 0) + t.share;
  report = { seconds: elapsed, still_training: state !== "finished", groups, threads: threads.slice(0, 12).map(({ name, processName, share }) => ({ name, process: processName, share })) };
  await context.close();
} finally {
  await browser.close();
  server.close();
}
const pct = (share) => `${(100 * share).toFixed(1).padStart(6)}%`;
console.error(`shares of one core over ${report.seconds.toFixed(1)} s of the reference run${report.still_training ? "" : " (it finished inside the window: take fewer seconds)"}:`);
for (const [name, share] of Object.entries(report.groups).sort((a, b) => b[1] - a[1])) console.error(`${pct(share)}  ${name}`);
console.error("busiest threads:");
for (const t of report.threads) console.error(`${pct(t.share)}  ${t.name} (${t.process})`);
console.log(JSON.stringify(report));
