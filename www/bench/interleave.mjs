// Start → finished for the reference run on several builds, interleaved: each round runs every
// build once, in a new random order, so that neither the host's slow minutes nor a build's place
// in the round favour one build. (Back-to-back pairs of runs had a 10–25% order effect on the
// 2-core AMD EPYC VM: the second build of a pair ran slower, whichever it was.) Every run is a
// fresh page at a desktop size with every default, Start pressed the moment Train enables
// (unless `--look`), as `start.mjs`'s first figure does; a build of `8b8399b` (Speed II's
// starting point, before the tool's strip) is driven through its own training panel, as
// `baseline.mjs` does. Prints each build's median, spread and runs, and each round's ratio of
// every build to the first one; one JSON object on stdout. Never fails on a time. `--look MS`
// presses Start `MS` after Train enables instead, as a person who looks at the page first does
// (`start.mjs`'s second figure: the current worker warms its training code up meanwhile,
// `worker/warm_up.rs`; a build of `8b8399b` has no warm-up, so it only waits).
//
// Usage: node www/bench/interleave.mjs <dist>/ <dist>/ [...] [--rounds N] [--look MS]
//        (default 6 rounds, Start pressed at once)

import { serve } from "../e2e/server.mjs";
import { launch } from "../e2e/browser.mjs";

const args = process.argv.slice(2);
const at = args.indexOf("--rounds");
const rounds = at >= 0 ? Number(args.splice(at, 2)[1]) : 6;
const lookAt = args.indexOf("--look");
const look = lookAt >= 0 ? Number(args.splice(lookAt, 2)[1]) : 0;
const dists = args;
if (dists.length < 1 || !(rounds > 0) || !(Number.isFinite(look) && look >= 0) || dists.some((d) => d.startsWith("--"))) {
  throw new Error("usage: node www/bench/interleave.mjs <dist>/ <dist>/ [...] [--rounds N] [--look MS]");
}

// The strip's Start and its finished state; the old training panel's, for a build of 8b8399b.
// (The current page still has a `.training-buttons .start` in a later chapter, so a page with the
// strip is always driven through the strip.)
const STRIP = { start: ".training-strip .strip-start", finished: () => document.querySelector(".training-strip")?.dataset.state === "finished" };
const PANEL = { start: ".training-buttons .start", finished: () => document.querySelector(".progress-text")?.dataset.state === "finished" };

const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
const servers = await Promise.all(dists.map((dist) => serve(dist)));
let browser;
const times = dists.map(() => []);
const ratios = [];

/** One Start → finished in a fresh page of the build served by `server`, in ms. */
async function startToFinished(server) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    const page = await context.newPage();
    await page.goto(server.url);
    await page.waitForSelector(`${STRIP.start}:not([disabled]), ${PANEL.start}:not([disabled])`, { timeout: 120_000 });
    const kind = (await page.$(".training-strip")) ? STRIP : PANEL;
    await page.waitForSelector(`${kind.start}:not([disabled])`, { timeout: 120_000 });
    if (look > 0) await page.waitForTimeout(look);
    const t0 = Date.now();
    await page.click(kind.start);
    await page.waitForFunction(kind.finished, null, { timeout: 600_000, polling: 20 });
    return Date.now() - t0;
  } finally {
    await context.close();
  }
}

try {
  browser = await launch();
  console.error(look > 0 ? `Start pressed ${look} ms after Train enables` : "Start pressed at once");
  for (let round = 0; round < rounds; round++) {
    const order = dists.map((_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    const these = [];
    for (const b of order) {
      these[b] = await startToFinished(servers[b]);
      times[b].push(these[b]);
    }
    ratios.push(these.map((ms) => these[0] / ms));
    console.error(
      `round ${round + 1} (order ${order.map((b) => b + 1).join(", ")}): ` +
        these.map((ms, b) => `${b + 1}: ${ms} ms`).join(", "),
    );
  }
} finally {
  await browser?.close();
  await Promise.all(servers.map((server) => server.close()));
}

const builds = dists.map((dist, b) => ({
  dist,
  median_ms: median(times[b]),
  min_ms: Math.min(...times[b]),
  max_ms: Math.max(...times[b]),
  runs_ms: times[b],
  // The first build's time over this one's, round by round: > 1 means this one is faster.
  speed_up_over_first: { median: median(ratios.map((r) => r[b])), rounds: ratios.map((r) => Number(r[b].toFixed(3))) },
}));
for (const [b, build] of builds.entries()) {
  console.error(
    `${b + 1} ${build.dist}: median ${build.median_ms} ms (${build.min_ms}–${build.max_ms}), ` +
      `×${build.speed_up_over_first.median.toFixed(2)} as fast as the first build (round by round, median)`,
  );
}
console.log(JSON.stringify({ rounds, look_ms: look, builds }));
