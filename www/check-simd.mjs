// Checks which wasm SIMD each build of a dist directory needs, after trunk's post-build hook has
// added the threaded worker (tools/build-threads). The threaded worker multiplies and adds with
// wasm's relaxed SIMD, which Safari rejects, so the page (`app_bg.wasm`) and the plain worker
// (`worker_bg.wasm`) must hold no relaxed instruction at all (a dependency can emit one), and the
// threaded worker must be the relaxed build the loader's probe expects (www/worker_loader.js).
//
// Node's own engine is the disassembler: each module is validated by a child `node` with
// relaxed SIMD switched off (every instruction must be known without it) and, for the threaded
// worker, switched on. Exits non-zero, saying which file and why, when a build is not as it
// must be.
//
// Usage: node www/check-simd.mjs <dist dir>

import { execFileSync } from "node:child_process";
import { join } from "node:path";

const dir = process.argv[2];
if (!dir) throw new Error("usage: node www/check-simd.mjs <dist dir>");

/** Whether `file` validates in a `node` with relaxed SIMD on or off. */
function validates(file, relaxed) {
  const flag = relaxed ? "--experimental-wasm-relaxed-simd" : "--no-experimental-wasm-relaxed-simd";
  const script = "process.stdout.write(String(WebAssembly.validate(require('fs').readFileSync(process.argv[1]))))";
  return execFileSync(process.execPath, [flag, "-e", script, file], { encoding: "utf8" }) === "true";
}

const failures = [];
for (const name of ["app_bg.wasm", "worker_bg.wasm"]) {
  if (!validates(join(dir, name), false)) failures.push(`${name} does not validate without relaxed SIMD: Safari would reject it`);
}
const threaded = join(dir, "worker_mt_bg.wasm");
if (!validates(threaded, true)) failures.push("worker_mt_bg.wasm does not validate even with relaxed SIMD");
else if (validates(threaded, false)) failures.push("worker_mt_bg.wasm uses no relaxed SIMD: tools/build-threads lost +relaxed-simd");
if (failures.length > 0) {
  console.error(`check-simd: ${failures.join("; ")}`);
  process.exit(1);
}
console.error("check-simd: page and plain worker without relaxed SIMD, threaded worker with it");
