// Runs every Latent Lab benchmark and prints one JSON object (tables go to stderr):
//   native   training samples/s, decode latency, test −ELBO after 1/5/10 epochs (cargo bench binary)
//   page     decode 1 / 10×10 / 15×15, draw→reconstruct, page load to first digit (headless Chromium)
//   worker   training samples/s and pause latency in the Web Worker (headless Chromium)
//   start    the reference run as a person runs it: Start → finished in the page, 3 runs
//   import   1,000 of your own pictures: import time, longest main-thread task, Start → finished
//   engines  load to first digit and training samples/s in Chromium, Firefox and WebKit (WebDriver),
//            as served (threads where the engine can share memory) and on one thread each
//   lighthouse  Lighthouse 12's four scores and the performance metrics, mobile and desktop presets
//   sizes    wasm, JS and asset bytes, raw, gzip and brotli (as sent by a host serving the build's
//            precompressed copies)
// Expects the static build in dist/ (`tools/build-static`); tools/bench does everything.

import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const root = fileURLToPath(new URL("../../", import.meta.url));
const dist = join(root, "dist");

function runJson(command, args, options = {}) {
  const out = execFileSync(command, args, { cwd: root, stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 26, ...options });
  const lines = out.toString().trim().split("\n");
  return JSON.parse(lines[lines.length - 1]);
}

function sizes() {
  const files = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (!/\.(br|gz)$/.test(name)) files.push(path);
    }
  };
  walk(dist);
  const entry = (path) => {
    const bytes = readFileSync(path);
    // The brotli copy www/precompress.mjs wrote, where it wrote one (else the file goes as it is).
    const br = existsSync(`${path}.br`) ? statSync(`${path}.br`).size : bytes.length;
    return { file: path.slice(dist.length + 1), raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length, br };
  };
  const all = files.map(entry).sort((a, b) => a.file.localeCompare(b.file));
  const sum = (list) => list.reduce((s, f) => ({ raw: s.raw + f.raw, gzip: s.gzip + f.gzip, br: s.br + f.br }), { raw: 0, gzip: 0, br: 0 });
  const code = all.filter((f) => /\.(wasm|js)$/.test(f.file));
  const pageCode = code.filter((f) => f.file.startsWith("app"));
  const defaultModel = all.filter((f) => f.file === "assets/pretrained/mlp-vae-z2.safetensors");
  return {
    files: all,
    code_total: sum(code),
    first_load: sum([...pageCode, ...defaultModel]),
    first_load_note: "page wasm + JS + default weights: what must arrive before the first digit",
    with_worker_and_default_weights: sum([...code, ...defaultModel]),
  };
}

const started = Date.now();
console.error("== native (cargo run --profile test-opt --bin bench)");
const native = runJson("cargo", ["run", "--quiet", "--profile", "test-opt", "--bin", "bench"]).native;
console.error("== page (headless Chromium)");
const page = runJson("node", [join(root, "www/bench/page.mjs")]);
console.error("== worker training (headless Chromium)");
const worker = runJson("node", [join(root, "www/bench/train.mjs"), "20"]).worker_training;
console.error("== the reference run as a person runs it (headless Chromium)");
const reference = runJson("node", [join(root, "www/bench/start.mjs"), "3"]);
console.error("== your own pictures (headless Chromium)");
const ownPictures = runJson("node", [join(root, "www/bench/import.mjs"), "1000"]);
console.error("== per engine: Chromium, Firefox, WebKit (WebDriver)");
const engines = runJson("node", [join(root, "www/bench/engines.mjs"), "12"]).engines;
const enginesOneThread = runJson("node", [join(root, "www/bench/engines.mjs"), "12", "--one-thread"]).engines;
console.error("== a first visit on a slow phone: Lighthouse's mobile network and CPU (headless Chromium)");
const slowLoad = runJson("node", [join(root, "www/bench/slow-load.mjs"), "3"]).slow_load;
console.error("== Lighthouse, mobile and desktop presets (headless Chromium)");
const lighthouse = runJson("node", [join(root, "www/bench/lighthouse.mjs"), "3"]).lighthouse;
const size = sizes();

const mlpWorker = worker.find((r) => r.model.startsWith("mlp"));
const convWorker = worker.find((r) => r.model.startsWith("conv"));
const result = {
  when: new Date().toISOString(),
  machine: { cores: (await import("node:os")).cpus().length },
  native,
  page,
  worker,
  reference_run: reference,
  own_pictures: ownPictures,
  engines,
  engines_one_thread: enginesOneThread,
  slow_load: slowLoad,
  lighthouse,
  ratio_wasm_to_native: {
    mlp_vae_z20: mlpWorker.samples_per_sec_median / native.training.mlp_vae_z20_b128.samples_per_sec_median,
    conv_vae_z16: convWorker.samples_per_sec_median / native.training.conv_vae_z16_b128.samples_per_sec_median,
  },
  sizes: size,
  seconds: Math.round((Date.now() - started) / 1000),
};

const kb = (n) => `${(n / 1024).toFixed(0)} KB`;
console.error("\n== summary");
console.error(`training samples/s   mlp-vae z=20: worker ${mlpWorker.samples_per_sec_median}, native ${native.training.mlp_vae_z20_b128.samples_per_sec_median.toFixed(0)}`);
console.error(`                     conv-vae z=16: worker ${convWorker.samples_per_sec_median}, native ${native.training.conv_vae_z16_b128.samples_per_sec_median.toFixed(0)}`);
const mlp = page.models.find((m) => m.model.endsWith("mlp-vae-z16"));
console.error(`page decode (mlp-vae z=16) 1: ${mlp.decode_1_ms} ms, 10x10: ${mlp.decode_10x10_ms} ms, 15x15: ${mlp.decode_15x15_ms} ms, the sheet as the page decodes it 10x10: ${mlp.sheet_10x10_ms} ms, 15x15: ${mlp.sheet_15x15_ms} ms, draw->recon: ${mlp.draw_to_reconstruct_ms} ms`);
console.error(`page load to first digit: ${page.page_load_to_first_digit_ms} ms`);
const slow = (k) => `${slowLoad[k].median} ms (${slowLoad[k].min}–${slowLoad[k].max})`;
console.error(`slow phone, first visit: first digit ${slow("first_digit_ms")}, test digits ${slow("test_digits_ms")}, Train enabled ${slow("trainable_ms")}`);
const r = reference.reference_run_start_to_finished_ms;
const looked = reference.reference_run_after_looking_2s_ms;
console.error(`reference run Start → finished in the page: median ${r.median} ms (${r.min}–${r.max}); pressed after 2 s on the page ${looked.median} ms (${looked.min}–${looked.max})`);
console.error(`first load (page code + default weights): ${kb(size.first_load.raw)} raw, ${kb(size.first_load.gzip)} gzip, ${kb(size.first_load.br)} brotli; all code + default weights ${kb(size.with_worker_and_default_weights.gzip)} gzip`);
for (const preset of ["mobile", "desktop"]) {
  const l = lighthouse[preset];
  console.error(`Lighthouse ${preset}: ${Object.entries(l.scores).map(([k, v]) => `${k} ${v}`).join(", ")} (performance of each run ${l.performance_all.join(" / ")}; LCP ${Math.round(l.metrics.largest_contentful_paint_ms)} ms, TBT ${Math.round(l.metrics.total_blocking_time_ms)} ms)`);
}
console.error(`test -ELBO (seed 0) after 1/5/10 epochs: ${Object.values(native.test_neg_elbo_seed0).join(" / ")}`);
console.log(JSON.stringify(result));
