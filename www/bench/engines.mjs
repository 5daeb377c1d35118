// Per-engine benchmark: in Chromium, Firefox and WebKit (WebKitGTK's MiniBrowser), each driven
// over WebDriver (www/smoke/webdriver.mjs), the page's load to first digit and the default
// model's training rate in the worker. Prints one JSON object (a table on stderr); it never
// fails on a time.
//
// Load to first digit is read in the page (`performance.now()`, from the navigation's start)
// by a poll every 10 ms once the load event has fired, so it is late by up to a poll and a
// driver round trip (~10–20 ms). The training rate is the page's own read-out ("… samples/s"),
// read once a second after a warm-up.
//
// `--one-thread` serves the page without the cross-origin-isolation headers, so every engine
// trains on one thread (like for like: WebKitGTK has no SharedArrayBuffer, so one thread there).
//
// Usage: trunk build --release && node www/bench/engines.mjs [seconds of training] [engines]
//        [--one-thread]

import { fileURLToPath } from "node:url";
import { serve } from "../e2e/server.mjs";
import { ENGINES, startSession } from "../smoke/webdriver.mjs";

const args = process.argv.slice(2);
const oneThread = args.includes("--one-thread");
const [secondsArg, enginesArg] = args.filter((a) => !a.startsWith("--"));
const seconds = Number(secondsArg ?? 15);
const engines = (enginesArg ?? Object.keys(ENGINES).join(",")).split(",");
const WARMUP_S = 4;

const server = await serve(fileURLToPath(new URL("../../dist/", import.meta.url)), { isolated: !oneThread });
const rows = [];
try {
  for (const engine of engines) {
    const missing = ENGINES[engine].missing();
    if (missing.length > 0) {
      console.error(`${engine}: skipped, ${missing.join(", ")} missing (tools/setup.sh --test installs them)`);
      continue;
    }
    const session = await startSession(engine);
    try {
      await session.go(server.url);
      const firstDigitMs = await session.waitFor(
        () => {
          const canvas = document.querySelector(".big-digit canvas.digit");
          if (!canvas || !document.querySelector('.model-info[data-status="ready"]')) return null;
          const data = canvas.getContext("2d").getImageData(0, 0, 28, 28).data;
          let ink = 0;
          for (let i = 0; i < data.length; i += 4) ink += data[i] < 128 ? 1 : 0;
          return ink > 40 ? performance.now() : null;
        },
        [],
        { interval: 10 },
      );
      await session.readThrough();
      await session.waitFor(() => {
        const start = document.querySelector(".training-buttons .start");
        return start && !start.disabled;
      });
      await session.click(".training-buttons .start");
      const deadline = Date.now() + (WARMUP_S + seconds) * 1000;
      const started = Date.now();
      const rates = [];
      let threads = 0;
      while (Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 1000));
        const now = await session.run(() => ({
          text: document.querySelector(".progress-text").textContent,
          threads: Number(document.querySelector(".hint.threads")?.dataset.threads ?? 0),
        }));
        threads = now.threads;
        const rate = Number(/(\d+) samples\/s/.exec(now.text)?.[1]);
        if (Date.now() - started > WARMUP_S * 1000 && rate > 0) rates.push(rate);
      }
      await session.click(".training-buttons .pause");
      const sorted = [...rates].sort((a, b) => a - b);
      const agent = await session.run(() => navigator.userAgent);
      rows.push({
        engine,
        user_agent: agent,
        load_to_first_digit_ms: Math.round(firstDigitMs),
        training_threads: threads,
        training_samples_per_sec_median: sorted[Math.floor(sorted.length / 2)] ?? null,
        training_samples_per_sec_min: sorted[0] ?? null,
        training_samples_per_sec_max: sorted[sorted.length - 1] ?? null,
        readings: sorted.length,
      });
    } finally {
      await session.quit();
    }
  }
} finally {
  server.close();
}

console.error("engine     first digit   training (default model)");
for (const r of rows) {
  console.error(
    `${r.engine.padEnd(10)} ${String(r.load_to_first_digit_ms).padStart(7)} ms   ${r.training_threads} thread(s), median ${r.training_samples_per_sec_median} samples/s (min ${r.training_samples_per_sec_min}, max ${r.training_samples_per_sec_max})`,
  );
}
console.log(JSON.stringify({ engines: rows }));
