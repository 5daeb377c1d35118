// Writes a brotli (`.br`) and a gzip (`.gz`) copy beside every compressible file of the built
// site, once, at build time (tools/build-static), at the highest levels: a host that serves
// precompressed files (nginx `gzip_static`/`brotli_static`, Caddy `precompressed`, the test
// server www/e2e/server.mjs) then sends the page wasm as ~0.73 MB instead of 3.76 MB with no
// compression work per request. Copies that would not be smaller by a tenth are not written.
// Usage: node www/precompress.mjs [dist]

import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { brotliCompress, constants, gzip } from "node:zlib";

const COMPRESSIBLE = /\.(html|js|mjs|css|wasm|json|webmanifest|svg|safetensors|bin)$/;
const dist = process.argv[2] ?? fileURLToPath(new URL("../dist/", import.meta.url));

const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (COMPRESSIBLE.test(name)) files.push(path);
  }
};
walk(dist);

const brotli = promisify(brotliCompress);
const gz = promisify(gzip);
const started = Date.now();
let [raw, sent] = [0, 0];
// zlib's asynchronous calls run on libuv's thread pool: every core compresses at once.
await Promise.all(
  files.map(async (path) => {
    const bytes = readFileSync(path);
    const [br, gzipped] = await Promise.all([
      brotli(bytes, {
        params: {
          [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
          [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
        },
      }),
      gz(bytes, { level: 9 }),
    ]);
    raw += bytes.length;
    let smallest = bytes.length;
    for (const [suffix, packed] of [[".br", br], [".gz", gzipped]]) {
      if (packed.length < 0.9 * bytes.length) {
        writeFileSync(path + suffix, packed);
        smallest = Math.min(smallest, packed.length);
      }
    }
    sent += smallest;
  }),
);
const mb = (n) => (n / 1e6).toFixed(2);
console.error(
  `precompress: ${files.length} files, ${mb(raw)} MB → ${mb(sent)} MB as sent, ${((Date.now() - started) / 1000).toFixed(1)} s`,
);
