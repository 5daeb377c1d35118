// The static site tools/build-static writes (the site every other end-to-end test runs): the
// headers file a host reads, and an offline copy that never asks for it.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const dist = (file) => fileURLToPath(new URL(`../../dist/${file}`, import.meta.url));

test("the site carries its cross-origin-isolation headers for hosts that read _headers", () => {
  const headers = readFileSync(dist("_headers"), "utf8");
  assert.match(headers, /^\/\*\n/, "for every path");
  assert.match(headers, /^ {2}Cross-Origin-Opener-Policy: same-origin$/m);
  assert.match(headers, /^ {2}Cross-Origin-Embedder-Policy: require-corp$/m);
});

test("the offline copy keeps every file of the site but the headers file, which hosts do not serve", () => {
  const sw = readFileSync(dist("sw.js"), "utf8");
  const files = JSON.parse(/const FILES = (\[[\s\S]*?\]);/.exec(sw)[1]);
  assert.ok(!files.includes("_headers"));
  for (const f of ["./", "app.js", "app_bg.wasm", "worker.js", "worker_bg.wasm", "worker_mt.js", "worker_mt_bg.wasm", "worker_loader.js", "assets/digits.bin", "manifest.webmanifest"]) {
    assert.ok(files.includes(f), `${f} is kept`);
  }
  assert.ok(files.some((f) => f.startsWith("assets/pretrained/")), "the pretrained models are kept");
});

test("every compressible file has brotli and gzip copies that decode to its bytes, and the offline copy lists none of them", async () => {
  const { brotliDecompressSync, gunzipSync } = await import("node:zlib");
  const { existsSync } = await import("node:fs");
  for (const f of ["index.html", "app.js", "app_bg.wasm", "worker.js", "worker_bg.wasm", "worker_mt.js", "worker_mt_bg.wasm", "worker_loader.js", "assets/digits.bin"]) {
    const bytes = readFileSync(dist(f));
    assert.ok(existsSync(dist(`${f}.br`)) && existsSync(dist(`${f}.gz`)), `${f} has its copies`);
    assert.ok(brotliDecompressSync(readFileSync(dist(`${f}.br`))).equals(bytes), `${f}.br`);
    assert.ok(gunzipSync(readFileSync(dist(`${f}.gz`))).equals(bytes), `${f}.gz`);
  }
  const sw = readFileSync(dist("sw.js"), "utf8");
  const files = JSON.parse(/const FILES = (\[[\s\S]*?\]);/.exec(sw)[1]);
  assert.deepEqual(files.filter((f) => /\.(br|gz)$/.test(f)), []);
});

test("a host serving the precompressed files sends the page's code as brotli", async () => {
  const { serve } = await import("./server.mjs");
  const server = await serve(dist(""));
  try {
    const response = await fetch(`${server.url}app_bg.wasm`, { headers: { "Accept-Encoding": "br" } });
    assert.equal(response.headers.get("content-encoding"), "br");
    assert.equal(Buffer.from(await response.arrayBuffer()).length, readFileSync(dist("app_bg.wasm")).length, "decoded to the file");
    const plain = await fetch(`${server.url}app_bg.wasm`, { headers: { "Accept-Encoding": "identity" } });
    assert.equal(plain.headers.get("content-encoding"), null);
  } finally {
    await server.close();
  }
});

test("a compressed copy older than the file it compresses (a file rebuilt into the site) is not sent: the file is", async () => {
  const { mkdtempSync, rmSync, writeFileSync, utimesSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const { brotliCompressSync } = await import("node:zlib");
  const { serve } = await import("./server.mjs");
  const root = mkdtempSync(join(tmpdir(), "latent-lab-stale-"));
  writeFileSync(join(root, "old.js"), "old build");
  writeFileSync(join(root, "old.js.br"), brotliCompressSync(Buffer.from("old build")));
  writeFileSync(join(root, "new.js.br"), brotliCompressSync(Buffer.from("old build")));
  writeFileSync(join(root, "new.js"), "new build");
  const hourAgo = new Date(Date.now() - 3_600_000);
  utimesSync(join(root, "new.js.br"), hourAgo, hourAgo);
  // A copy written a moment before its file, as `cp -r` of a site may leave it, is still sent.
  writeFileSync(join(root, "copied.js"), "copied");
  writeFileSync(join(root, "copied.js.br"), brotliCompressSync(Buffer.from("copied")));
  const secondAgo = new Date(Date.now() - 1_000);
  utimesSync(join(root, "copied.js.br"), secondAgo, secondAgo);
  const server = await serve(root);
  try {
    const get = (name) => fetch(`${server.url}${name}`, { headers: { "Accept-Encoding": "br" } });
    const fresh = await get("old.js");
    assert.equal(fresh.headers.get("content-encoding"), "br", "a copy written after its file is sent");
    assert.equal(await fresh.text(), "old build");
    const rebuilt = await get("new.js");
    assert.equal(rebuilt.headers.get("content-encoding"), null, "the stale copy is not sent");
    assert.equal(await rebuilt.text(), "new build", "the rebuilt file is");
    const copied = await get("copied.js");
    assert.equal(copied.headers.get("content-encoding"), "br", "a copy a second older than its file is sent");
  } finally {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  }
});
