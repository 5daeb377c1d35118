// A static file server for the trunk-built app (dist/), on loopback only, for the end-to-end
// tests and the benchmarks. It sends the cross-origin-isolation headers (COOP/COEP), as
// tools/serve does, so that training may use two threads and performance.now() has fine
// resolution (`{ isolated: false }` leaves them out, as a plain static host would), and logs every request so tests can check that the
// app asks for nothing it should not. Like a host with precompressed files (nginx `brotli_static`),
// it sends `name.br` or `name.gz` when the build wrote one (www/precompress.mjs, run by
// tools/build-static) and the browser accepts it.

import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { extname, join, normalize, resolve } from "node:path";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".wasm": "application/wasm",
  ".json": "application/json",
  ".webmanifest": "application/manifest+json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".bin": "application/octet-stream",
  ".safetensors": "application/octet-stream",
};

/** A copy more than this much older than its file was written before the file was rebuilt. */
const STALE_AFTER_MS = 2_000;
const warned = new Set();

/**
 * Whether the compressed copy `path` (written at `copyMs`) predates the file it compresses
 * (written at `fileMs`): a file rebuilt into a dist, say the threaded worker by
 * `tools/build-threads <dir>`, leaves the old build's `.br` beside it, and a browser would be
 * sent the old build. Such a copy is not served (the file itself is), and said once on stderr.
 * (`cp -r` of a dist may write a file a moment after its copies: hence the margin.)
 */
function stale(path, copyMs, fileMs) {
  if (copyMs >= fileMs - STALE_AFTER_MS) return false;
  if (!warned.has(path)) {
    warned.add(path);
    console.error(`server: ${path} is older than the file it compresses; serving the file instead`);
  }
  return true;
}

/**
 * Serves `root` on 127.0.0.1 at a free port; resolves to { url, requests, overrides, close }.
 * A test can make a path fail or serve other bytes: `overrides["/assets/digits.bin"] =
 * { status: 404 }` or `{ body: Buffer }`, or decide per request with a function of the
 * request's URL returning such an object (or a promise of one, to hold the answer back), or
 * null to serve the file (delete the key to undo). `{ body, rest }` sends `body` at once and the
 * bytes `rest` (a promise) resolves to after it, in the same response: a file half downloaded.
 * `{ drop: true }` closes the connection without an answer, as a cut network would.
 */
export async function serve(root, { isolated = true } = {}) {
  const isolation = isolated
    ? { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" }
    : {};
  const base = resolve(root);
  const requests = [];
  const overrides = {};
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, "http://localhost").pathname);
    requests.push(path);
    const rule = overrides[path];
    const override = typeof rule === "function" ? await rule(new URL(req.url, "http://localhost")) : rule;
    if (override?.drop) {
      req.socket.destroy();
      return;
    }
    if (override) {
      res.writeHead(override.status ?? 200, {
        "Content-Type": TYPES[extname(path)] ?? "application/octet-stream",
        ...isolation,
        "Cache-Control": "no-store",
      });
      if (override.rest) {
        res.write(override.body);
        res.end(await override.rest);
      } else {
        res.end(override.body ?? "");
      }
      return;
    }
    let file = normalize(join(base, path));
    if (!file.startsWith(base)) {
      res.writeHead(403).end();
      return;
    }
    try {
      let found = await stat(file);
      if (found.isDirectory()) {
        file = join(file, "index.html");
        found = await stat(file);
      }
      const accepted = String(req.headers["accept-encoding"] ?? "");
      let encoding = null;
      const written = found.mtimeMs;
      for (const [name, suffix] of [["br", ".br"], ["gzip", ".gz"]]) {
        if (encoding || !new RegExp(`\\b${name}\\b`).test(accepted)) continue;
        const copy = await stat(file + suffix).catch(() => null);
        if (copy?.isFile() && !stale(file + suffix, copy.mtimeMs, written)) encoding = { name, suffix };
      }
      const body = await readFile(encoding ? file + encoding.suffix : file);
      res.writeHead(200, {
        "Content-Type": TYPES[extname(file)] ?? "application/octet-stream",
        ...isolation,
        "Cache-Control": "no-store",
        Vary: "Accept-Encoding",
        ...(encoding ? { "Content-Encoding": encoding.name } : {}),
      });
      res.end(body);
    } catch {
      res.writeHead(404, { "Content-Type": "text/plain" }).end("not found");
    }
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  const url = `http://127.0.0.1:${server.address().port}/`;
  return { url, requests, overrides, close: () => new Promise((ok) => server.close(ok)) };
}
