// For the benchmarks that ask who had the cores while the reference run trained (cores.mjs,
// off-cpu.mjs): every thread on the machine and the CPU time it has used, from /proc (Linux
// only), and the reference run started as a person starts it.

import { readFileSync, readdirSync } from "node:fs";

export const TICKS_PER_S = 100; // USER_HZ on Linux

/** CPU ticks (user + system) of every thread on the machine, by "pid/tid", with its names. */
export function threadTimes() {
  const times = new Map();
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    let tids;
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue; // gone meanwhile
    }
    let processName = "?";
    try {
      processName = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
    } catch {}
    for (const tid of tids) {
      try {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
        // The fields after the name, which is in parentheses and may hold spaces.
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, "utf8").trim();
        times.set(`${pid}/${tid}`, { pid, tid, name, processName, main: pid === tid, ticks: Number(fields[11]) + Number(fields[12]) });
      } catch {}
    }
  }
  return times;
}

/** Where a thread outside the training worker belongs: the page's main thread (the main thread
 * of the renderer `rendererPid`), the rest of the browser, or the rest of the machine. */
export function outsideTheWorker({ pid, main, processName }, rendererPid) {
  if (pid === rendererPid && main) return "the page's main thread";
  if (processName.startsWith("chrom")) return "the rest of the browser";
  return "the rest of the machine";
}

/** Opens the app served at `url` in a fresh desktop-sized page of `browser`, presses Start in the
 * strip as a person does (every default: the reference run) and resolves to `{ context, page }`
 * once the second epoch is under way (past the worker's first steps and the helper taking up
 * its share), when the threads' shares have settled. */
export async function trainingPastItsStart(browser, url) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForSelector(".training-strip .strip-start:not([disabled])", { timeout: 120_000 });
  await page.click(".training-strip .strip-start");
  await page.waitForFunction(() => /epoch [2-9]/.test(document.querySelector(".progress-text")?.textContent ?? ""), null, { timeout: 120_000 });
  return { context, page };
}
