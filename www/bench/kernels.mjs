// The MLP-VAE's three sparse kernels timed alone in headless Chromium: builds
// tools/kernel-bench (the app's own kernel files, compiled to wasm by themselves) and prints each
// kernel's median time and multiply-adds per second at the reference model's shapes (one
// thread's 64 digits). A variant of a kernel is timed by editing src/ml/kernels/ and running this
// again: a minute, against a release build of the app and a noisy profile. A measuring tool, like
// the benchmarks; it never fails on a time.
//
// Usage: node www/bench/kernels.mjs [rounds (5)] [--relaxed]
//   --relaxed also builds with wasm's relaxed SIMD (a fused multiply-add where the kernels
//   multiply and add) and times the two builds in turn.

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { launch } from "../e2e/browser.mjs";

const root = fileURLToPath(new URL("../../", import.meta.url));
const args = process.argv.slice(2);
const rounds = Number(args.find((a) => /^\d+$/.test(a)) ?? 5);
const builds = args.includes("--relaxed") ? ["simd128", "simd128,+relaxed-simd"] : ["simd128"];
const CASES = [
  "x·W1ᵀ (first layer, forward)",
  "h·W2ᵀ (output layer, forward)",
  "W1's gradient, transposed",
  "W2's gradient, transposed",
  "h's gradient where h is on",
];
/// Calls of a case a sample times together, and samples a round.
const CALLS = 10;
const SAMPLES = 15;

/** The bench's wasm built with `features` (a cargo target-feature list), as bytes. */
function build(features) {
  const targetDir = `target/kernel-bench/${features.replace(/\W+/g, "-")}`;
  execFileSync(
    "cargo",
    ["build", "--release", "--target", "wasm32-unknown-unknown", "--manifest-path", "tools/kernel-bench/Cargo.toml", "--target-dir", targetDir],
    { cwd: root, stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, RUSTFLAGS: `-C target-feature=+${features}` } },
  );
  return readFileSync(`${root}${targetDir}/wasm32-unknown-unknown/release/kernel_bench.wasm`);
}

/** Each case's sample times (ms a call) in one round, and its multiply-adds a call. */
async function timeRound(page, bytes) {
  return page.evaluate(async ({ b64, cases, calls, samples }) => {
    const wasm = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const { instance } = await WebAssembly.instantiate(wasm, {});
    const { setup, run, work } = instance.exports;
    const handle = setup(1);
    const out = [];
    for (let c = 0; c < cases; c++) {
      run(handle, c, calls); // warm: the optimising tier, the caches
      const times = [];
      for (let s = 0; s < samples; s++) {
        const t0 = performance.now();
        run(handle, c, calls);
        times.push((performance.now() - t0) / calls);
      }
      out.push({ times, work: work(handle, c) });
    }
    return out;
  }, { b64: Buffer.from(bytes).toString("base64"), cases: CASES.length, calls: CALLS, samples: SAMPLES });
}

const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

const wasms = builds.map(build);
const browser = await launch();
const page = await browser.newPage();
await page.goto("about:blank");
// Rounds alternate the builds, so a slow spell of the machine falls on both.
const times = builds.map(() => CASES.map(() => []));
const work = [];
for (let r = 0; r < rounds; r++) {
  for (const [b, bytes] of wasms.entries()) {
    const round = await timeRound(page, bytes);
    round.forEach((c, i) => {
      times[b][i].push(median(c.times));
      work[i] = c.work;
    });
  }
}
await browser.close();

const result = {};
for (const [b, features] of builds.entries()) {
  console.error(`+${features}, median of ${rounds} rounds of ${SAMPLES}×${CALLS} calls (ms a call, GMAC/s):`);
  result[features] = {};
  CASES.forEach((name, i) => {
    const ms = median(times[b][i]);
    const gmacs = work[i] / (ms * 1e6);
    console.error(`  ${ms.toFixed(3).padStart(7)} ms  ${gmacs.toFixed(1).padStart(5)}  ${name}  (rounds ${times[b][i].map((t) => t.toFixed(3)).join(" / ")})`);
    result[features][name] = { ms: Number(ms.toFixed(4)), gmac_per_s: Number(gmacs.toFixed(2)) };
  });
}
console.log(JSON.stringify(result));
