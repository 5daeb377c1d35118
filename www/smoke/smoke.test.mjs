// The cross-engine smoke suite: what a person does first, in Chromium, Firefox and WebKit
// (WebKitGTK, the engine of Safari), each driven over W3C WebDriver (./webdriver.mjs) against
// the trunk-built app (dist/), served cross-origin isolated as tools/serve does.
//
// Per engine, in order, in one browser session: the page loads and shows a digit; a slider
// dragged with the mouse changes it; a drawn "1" is reconstructed; training runs and its
// progress moves; Pause stops it; the model downloaded loads back as the same model; a file
// that is not a model is refused with a reason. The detailed behaviour is pinned by the
// Chromium end-to-end suite (www/e2e/); this one keeps the three engines working.
//
// Usage: trunk build --release && node --test www/smoke/   (SMOKE_ENGINES=firefox,webkit to
// choose; tools/test runs all three).

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { serve } from "../e2e/server.mjs";
import { ENGINES, startSession } from "./webdriver.mjs";

const engines = (process.env.SMOKE_ENGINES ?? Object.keys(ENGINES).join(",")).split(",");
const scratch = mkdtempSync(join(tmpdir(), "latent-lab-smoke-"));

let server;
before(async () => {
  server = await serve(fileURLToPath(new URL("../../dist/", import.meta.url)));
});
after(() => server?.close());

/** In the page: the ink (0–1, ink = 1) of the 28×28 digit canvas matching `selector`. */
function pixels(selector) {
  // The page's parts are built a task each after the first screen: the model can be ready a
  // moment before the canvas that shows it exists (no pixels yet, so a wait goes on).
  const canvas = document.querySelector(selector);
  if (!canvas) return [];
  const data = canvas.getContext("2d").getImageData(0, 0, 28, 28).data;
  const out = [];
  for (let i = 0; i < data.length; i += 4) out.push(1 - data[i] / 255);
  return out;
}

/** In the page: the element's box in viewport pixels, after scrolling it into view. */
function boxOf(selector) {
  const element = document.querySelector(selector);
  element.scrollIntoView({ block: "center" });
  const r = element.getBoundingClientRect();
  return { x: r.x, y: r.y, width: r.width, height: r.height };
}

/** In the page: the training progress line's state and step. */
function progress() {
  const line = document.querySelector(".progress-text");
  return { state: line.dataset.state, step: Number(/step (\d+)/.exec(line.textContent)?.[1] ?? -1), text: line.textContent };
}

const inked = (values) => values.filter((v) => v > 0.5).length;

for (const engine of engines) {
  describe(engine, () => {
    let session;
    before(async () => {
      const missing = ENGINES[engine].missing();
      assert.deepEqual(missing, [], `${engine} needs ${missing.join(", ")}: run tools/setup.sh --test`);
      session = await startSession(engine);
      session.prelude = [pixels, boxOf, progress].join("\n");
      await session.command("POST", "/window/rect", { width: 1280, height: 900 }).catch(() => {});
    });
    after(() => session?.quit());

    test("the page loads and shows a decoded digit", async () => {
      const started = Date.now();
      await session.go(server.url);
      await session.waitFor(() => document.querySelector('.model-info[data-status="ready"]'));
      await session.waitFor(() => pixels(".big-digit canvas.digit").filter((v) => v > 0.5).length > 40, [], {
        what: "a digit on the big canvas",
      });
      console.log(`${engine}: load to first digit ${Date.now() - started} ms (through the driver)`);
      // The later steps use the training panel, a chapter built as a reader nears it.
      await session.readThrough();
      const agent = await session.run(() => navigator.userAgent);
      console.log(`${engine}: ${agent}`);
    });

    test("dragging a slider changes the digit", async () => {
      const before = await session.run(pixels, ".big-digit canvas.digit");
      const box = await session.run(boxOf, "#z-1");
      const y = box.y + box.height / 2;
      const steps = Array.from({ length: 8 }, (_, i) => [box.x + box.width * (0.5 + (0.45 * (i + 1)) / 8), y]);
      await session.drag([[box.x + box.width / 2, y], ...steps]);
      const z1 = Number(await session.run(() => document.querySelector("#z-1").value));
      assert.ok(z1 > 2, `z1 moved to ${z1}`);
      const after = await session.run(pixels, ".big-digit canvas.digit");
      const changed = before.filter((v, i) => Math.abs(v - after[i]) > 0.2).length;
      assert.ok(changed > 30, `${changed} pixels changed`);
    });

    test("a drawn 1 is reconstructed and scored", async () => {
      const pad = await session.run(boxOf, "canvas.pad");
      const at = ([x, y]) => [pad.x + (x / 280) * pad.width, pad.y + (y / 280) * pad.height];
      const one = [[150, 40], [148, 65], [146, 90], [144, 120], [142, 150], [140, 195], [138, 240]];
      await session.drag(one.map(at));
      await session.waitFor(() => /nats/.test(document.querySelector(".score").textContent), [], { what: "a score" });
      const drawn = inked(await session.run(pixels, ".drawn canvas.digit"));
      const recon = inked(await session.run(pixels, ".reconstruction canvas.digit"));
      assert.ok(drawn > 10, `the drawing has ${drawn} inked pixels`);
      assert.ok(recon > 10, `the reconstruction has ${recon} inked pixels`);
    });

    test("training runs, its progress moves, and Pause stops it", async () => {
      await session.waitFor(() => {
        const start = document.querySelector(".training-buttons .start");
        return start && !start.disabled;
      }, [], { what: "Start enabled" });
      await session.click(".training-buttons .start");
      const moving = await session.waitFor(
        () => {
          const p = progress();
          return p.state === "running" && p.step >= 5 && p;
        },
        [],
        { timeout: 120_000, what: "five steps" },
      );
      console.log(`${engine}: ${moving.text}`);
      // Two threads where the browser lets workers share memory; otherwise one, and the panel
      // says why (WebKitGTK offers no SharedArrayBuffer even to an isolated page). `relaxed`:
      // whether the engine takes relaxed SIMD, as worker_loader.js probes it.
      const threads = await session.waitFor(() => {
        const hint = document.querySelector(".hint.threads");
        const zeros = [0xfd, 0x0c, ...new Array(16).fill(0)];
        const body = [0x00, ...zeros, ...zeros, ...zeros, 0xfd, 0x85, 0x02, 0x0b];
        const probe = [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 5, 1, 0x60, 0, 1, 0x7b, 3, 2, 1, 0, 10, body.length + 2, 1, body.length, ...body];
        const relaxed = WebAssembly.validate(new Uint8Array(probe));
        return !hint.hidden && { count: Number(hint.dataset.threads), text: hint.textContent, shared: typeof SharedArrayBuffer === "function", relaxed };
      }, [], { what: "the threads line" });
      console.log(`${engine}: ${threads.text} (relaxed SIMD: ${threads.relaxed})`);
      if (threads.shared) {
        assert.equal(threads.count, 2, threads.text);
        // Where workers can share memory and relaxed SIMD validates, the worker's threaded build
        // trains (worker_loader.js); with shared memory alone, the plain one with copies.
        const threaded = server.requests.some((r) => r.startsWith("/worker_mt_bg.wasm"));
        assert.equal(threaded, threads.relaxed, `the threaded worker trains where relaxed SIMD validates (${threads.relaxed})`);
      } else assert.match(threads.text, /one thread: this browser does not let workers share memory/);
      // The strip's Pause, in view at the top of the screen whatever is scrolled. The panel's
      // was missed twice in CI (2026-12-01 and -02): the press landed on the panel itself, the
      // button having moved under the pointer; that shift is not found yet (open on #16).
      await session.click(".training-strip .strip-pause");
      const paused = await session.waitFor(
        () => {
          const p = progress();
          return p.state === "paused" && p;
        },
        [],
        {
          what: "paused",
          seen: () => ({
            progress: progress().text,
            pause: document.querySelector(".training-buttons .pause").disabled ? "disabled" : "enabled",
            message: document.querySelector(".training-message")?.textContent ?? null,
            threads: document.querySelector(".hint.threads")?.textContent ?? null,
          }),
        },
      );
      // Two heartbeats later (every message the worker sent before them has arrived) the step
      // has not moved.
      const pong = Number(await session.run(() => document.querySelector(".memory").dataset.pong ?? 0));
      await session.waitFor((n) => Number(document.querySelector(".memory").dataset.pong ?? 0) >= n + 2, [pong], {
        what: "two heartbeats",
      });
      assert.equal((await session.run(progress)).step, paused.step, "no steps while paused");
    });

    test("the model downloaded loads back as the same model", async () => {
      await session.run(() => {
        // Keep what the page offers for download: the file's name and its bytes.
        window.__blobs = new Map();
        window.__downloads = [];
        const make = URL.createObjectURL;
        URL.createObjectURL = (blob) => {
          const url = make.call(URL, blob);
          window.__blobs.set(url, blob);
          return url;
        };
        const click = HTMLAnchorElement.prototype.click;
        HTMLAnchorElement.prototype.click = function () {
          if (!this.download) return click.call(this);
          window.__downloads.push({ name: this.download, blob: window.__blobs.get(this.href) });
        };
      });
      // The default pretrained model: the paused run's model can still take a last snapshot.
      const model = "pretrained:mlp-vae-z2";
      await session.run((value) => {
        const select = document.querySelector("#model-select");
        select.value = value;
        select.dispatchEvent(new Event("change", { bubbles: true }));
      }, model);
      await session.waitFor((m) => document.querySelector(`.model-info[data-model="${m}"][data-status="ready"]`), [model]);
      const shown = await session.run(pixels, ".big-digit canvas.digit");
      await session.click('button[title^="Save the current model"]');
      const file = await session.waitFor(async () => {
        const d = window.__downloads[0];
        if (!d?.blob) return null;
        const bytes = new Uint8Array(await d.blob.arrayBuffer());
        let binary = "";
        for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
        return { name: d.name, base64: btoa(binary) };
      }, [], { what: "a download" });
      assert.match(file.name, /\.safetensors$/);
      const path = join(scratch, `${engine}-${file.name}`);
      writeFileSync(path, Buffer.from(file.base64, "base64"));
      await session.type("#model-file", path);
      await session.waitFor(
        (before) => {
          const message = document.querySelector(".library-message")?.textContent ?? "";
          return /already in this browser|^Loaded /.test(message) && document.querySelector(".model-info").dataset.status === "ready" && (document.querySelector(".model-info").dataset.model !== before || /already/.test(message));
        },
        [model],
        { what: "the file loaded" },
      );
      const reloaded = await session.run(pixels, ".big-digit canvas.digit");
      console.log(`${engine}: ${file.name} from ${model}: ${await session.run(() => `${document.querySelector(".library-message").textContent} now ${document.querySelector(".model-info").dataset.model}`)}`);
      const diff = Math.max(...shown.map((v, i) => Math.abs(v - reloaded[i])));
      assert.ok(diff <= 1 / 255 + 1e-6, `largest pixel difference ${diff}`);
    });

    test("a file that is not a model is refused with a reason", async () => {
      const model = await session.run(() => document.querySelector(".model-info").dataset.model);
      const bad = join(scratch, `${engine}-not-a-model.safetensors`);
      writeFileSync(bad, JSON.stringify({ hello: "this is JSON, not weights" }));
      await session.type("#model-file", bad);
      await session.waitFor(() => /was not loaded/.test(document.querySelector(".library-message").textContent), [], {
        what: "a refusal",
      });
      assert.match(await session.run(() => document.querySelector(".library-message").textContent), /text file/);
      assert.equal(await session.run(() => document.querySelector(".model-info").dataset.model), model);
    });
  });
}
