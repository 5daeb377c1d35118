// Checks which wasm SIMD each build of a dist directory needs, after trunk's post-build hook has
// added the threaded worker (tools/build-threads). The threaded worker multiplies and adds with
// wasm's relaxed SIMD, which Safari rejects, so the page (`app_bg.wasm`) and the plain worker
// (`worker_bg.wasm`) must hold no relaxed instruction at all (a dependency can emit one), and the
// threaded worker must be the relaxed build the loader's probe expects (www/worker_loader.js).
//
// Node's own engine is the disassembler: each module is validated by a child `node` with
// relaxed SIMD switched off (every instruction must be known without it) and, for the threaded
// worker, switched on; first it checks that this node can switch it at all (a node whose engine
// no longer can would pass anything). Exits non-zero, saying which file and why, when a build is
// not as it must be.
//
// Usage: node www/check-simd.mjs <dist dir>

import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = process.argv[2];
if (!dir) throw new Error("usage: node www/check-simd.mjs <dist dir>");

/** Whether the module in `file` validates in a `node` with relaxed SIMD on or off. */
function validates(file, relaxed) {
  const flag = relaxed ? "--experimental-wasm-relaxed-simd" : "--no-experimental-wasm-relaxed-simd";
  const script = "process.stdout.write(String(WebAssembly.validate(require('fs').readFileSync(process.argv[1]))))";
  try {
    return execFileSync(process.execPath, [flag, "-e", script, file], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }) === "true";
  } catch (e) {
    fail(`node ${flag} could not validate ${file}: ${String(e.stderr || e.message).trim().split("\n")[0]}`);
  }
}

function fail(why) {
  console.error(`check-simd: ${why}`);
  process.exit(1);
}

// This node must be able to switch relaxed SIMD off, or the checks below say nothing: a module
// whose one function is `f32x4.relaxed_madd` (as www/worker_loader.js probes) must validate
// with it on and not with it off.
const probe = join(mkdtempSync(join(tmpdir(), "check-simd-")), "relaxed.wasm");
const zeros = [0xfd, 0x0c, ...new Array(16).fill(0)];
const body = [0x00, ...zeros, ...zeros, ...zeros, 0xfd, 0x85, 0x02, 0x0b];
const header = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, 0x03, 0x02, 0x01, 0x00];
writeFileSync(probe, new Uint8Array([...header, 0x0a, body.length + 2, 0x01, body.length, ...body]));
if (!validates(probe, true) || validates(probe, false)) {
  fail(`this node (${process.version}) cannot switch wasm's relaxed SIMD off and on, so it cannot check the builds`);
}

const failures = [];
for (const name of ["app_bg.wasm", "worker_bg.wasm"]) {
  if (!validates(join(dir, name), false)) failures.push(`${name} does not validate without relaxed SIMD: Safari would reject it`);
}
const threaded = join(dir, "worker_mt_bg.wasm");
if (!validates(threaded, true)) failures.push("worker_mt_bg.wasm does not validate even with relaxed SIMD");
else if (validates(threaded, false)) failures.push("worker_mt_bg.wasm uses no relaxed SIMD: tools/build-threads lost +relaxed-simd");
if (failures.length > 0) fail(failures.join("; "));
console.error("check-simd: page and plain worker without relaxed SIMD, threaded worker with it");
