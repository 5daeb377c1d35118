// The figures Speed II (#15) compares against, taken from a build of the commit it started from
// (`8b8399b`), so that "before" and "after" come from one machine in one sitting: this VM's speed
// varies up to 2× between sittings, and figures taken on another day or CPU mislead. That page
// predates the tool's strip and the threads, so it is driven through its own training panel:
// Start → "finished" for the reference run (every default, pressed the moment Train enables),
// and the MLP-VAE z=20 h=400 and Conv-VAE z=16 c=32 (batch 128) samples/s the panel reports
// (median of one-second readings after a warm-up). Prints one JSON object; never fails on a time.
// Compare with `start.mjs` and `train.mjs` on the current build, alternating.
//
// Usage: git worktree add /tmp/speed-ii-start 8b8399b
//        cp assets/digits.bin /tmp/speed-ii-start/assets/
//        (cd /tmp/speed-ii-start && CARGO_TARGET_DIR="$OLDPWD/target" trunk build --release --dist /tmp/dist-8b8)
//        node www/bench/baseline.mjs /tmp/dist-8b8/ [runs]

import { serve } from "../e2e/server.mjs";
import { launch } from "../e2e/browser.mjs";

const dist = process.argv[2];
if (!dist) throw new Error("usage: node www/bench/baseline.mjs <dist of 8b8399b>/ [runs]");
const runs = Number(process.argv[3] ?? 3);
const WARM_UP_MS = 4000;
const READINGS = 16;
const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];

const server = await serve(dist);
const browser = await launch();

async function ready() {
  const page = await browser.newPage();
  await page.goto(server.url);
  await page.waitForSelector(".training-buttons .start:not([disabled])", { timeout: 120_000 });
  return page;
}

async function startToFinished() {
  const page = await ready();
  const t0 = Date.now();
  await page.click(".training-buttons .start");
  await page.waitForFunction(() => document.querySelector(".progress-text")?.dataset.state === "finished", null, {
    timeout: 600_000,
    polling: 20,
  });
  const ms = Date.now() - t0;
  await page.close();
  return ms;
}

async function samplesPerSecond(kind, latent, hidden) {
  const page = await ready();
  await page.selectOption(".field.kind select", kind);
  for (const [field, value] of [["latent", latent], ["hidden", hidden], ["batch", 128], ["epochs", 1000]]) {
    await page.fill(`.field.${field} input`, String(value));
    await page.press(`.field.${field} input`, "Tab");
  }
  await page.click(".training-buttons .start");
  await page.waitForTimeout(WARM_UP_MS);
  const rates = [];
  for (let i = 0; i < READINGS; i++) {
    await page.waitForTimeout(1000);
    const rate = /([\d,]+) samples\/s/.exec(await page.textContent(".progress-text"))?.[1];
    if (rate) rates.push(Number(rate.replace(/,/g, "")));
  }
  await page.close();
  if (rates.length === 0) throw new Error(`${kind}: the training panel showed no samples/s (is ${dist} a build of 8b8399b?)`);
  return { median: median(rates), min: Math.min(...rates), max: Math.max(...rates) };
}

try {
  const finished = [];
  for (let i = 0; i < runs; i++) finished.push(await startToFinished());
  const result = {
    reference_run_start_to_finished_ms: { median: median(finished), runs: finished },
    mlp_vae_z20_h400_samples_per_sec: await samplesPerSecond("mlp-vae", 20, 400),
    conv_vae_z16_c32_samples_per_sec: await samplesPerSecond("conv-vae", 16, 32),
  };
  console.error(
    `8b8399b: Start → finished ${finished.join(" / ")} ms; MLP-VAE ${result.mlp_vae_z20_h400_samples_per_sec.median}, ` +
      `Conv-VAE ${result.conv_vae_z16_c32_samples_per_sec.median} samples/s (one worker thread)`,
  );
  console.log(JSON.stringify(result));
} finally {
  await browser.close();
  await server.close();
}
