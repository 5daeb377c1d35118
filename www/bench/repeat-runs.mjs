// The reference run (every default, Start in the strip) again and again, each in a fresh page:
// prints each run's Start → finished time, final loss and test −ELBO, and the page's state and
// message for a run that did not finish within `LIMIT_S` seconds. It is how the threaded
// build's rare first-step stall and the loss anomaly of a piece that left one digit were found
// (README, "One shared memory, landed"): run two at once to load the machine.
//
//   node www/bench/repeat-runs.mjs [runs] [dist/]
//   LOOK=ms     waits that long on the page before Start (default: 0, 300 and 1,500 in turn)
//   MODE=plain  serves the page without cross-origin isolation (one thread);
//   MODE=copies isolated, but the threaded build withheld (the copying helper)
//   LIMIT_S=30  how long a run may take
import { fileURLToPath } from "node:url";
import { serve } from "../e2e/server.mjs";
import { launch } from "../e2e/browser.mjs";

const runs = Number(process.argv[2] ?? 30);
const dist = process.argv[3] ?? fileURLToPath(new URL("../../dist/", import.meta.url));
const mode = process.env.MODE ?? "threaded";
const limit = Number(process.env.LIMIT_S ?? 30) * 1000;
const server = await serve(dist, { isolated: mode !== "plain" });
if (mode === "copies") server.overrides["/worker_mt.js"] = { status: 404 };
const browser = await launch();
const ends = new Map();
let unfinished = 0;
for (let i = 0; i < runs; i++) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const log = [];
  page.on("console", (m) => log.push(`${m.type()} ${m.text().slice(0, 200)}`));
  page.on("pageerror", (e) => log.push(`pageerror ${e.message}`));
  await page.goto(server.url);
  await page.waitForSelector(".training-strip .strip-start:not([disabled])", { timeout: 120_000 });
  const look = process.env.LOOK ? Number(process.env.LOOK) : [0, 300, 1500][i % 3];
  if (look) await page.waitForTimeout(look);
  const started = Date.now();
  await page.click(".training-strip .strip-start");
  try {
    await page.waitForFunction(() => document.querySelector(".training-strip")?.dataset.state === "finished", null, {
      timeout: limit,
      polling: 100,
    });
    const ms = Date.now() - started;
    const text = await page.textContent(".progress-text");
    const elbo = Number(await page.getAttribute(".epoch-figure", "data-neg-elbo"));
    const end = `loss ${/loss (\d+(?:\.\d+)?)/.exec(text)?.[1]}`;
    ends.set(end, (ends.get(end) ?? 0) + 1);
    console.log(`run ${i} (Start after ${look} ms): ${ms} ms, ${end}, test −ELBO ${elbo.toFixed(3)}`);
  } catch {
    unfinished++;
    const seen = await page.evaluate(() =>
      [".training-strip", ".progress-text", ".training-message", ".hint.threads"].map((s) => document.querySelector(s)?.textContent ?? ""),
    );
    console.log(`run ${i} (Start after ${look} ms): not finished after ${limit} ms`, seen);
    console.log(log.filter((l) => !/integrity|Service Worker/.test(l)).join("\n"));
  }
  await context.close();
}
console.log(`${runs - unfinished} of ${runs} runs finished; their final losses:`, Object.fromEntries(ends));
await browser.close();
await server.close();
