// End to end: nothing lost, nothing broken. The page's Content-Security-Policy, a missing or
// corrupt digits asset, a worker that crashes or goes silent, a reload in the middle of
// training, and browser storage that is unavailable or full. Run by tools/test after
// `trunk build --release`.

import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { drawStroke, open, pixelsOf, progress, results, startTraining, useApp, waitForPage, reload } from "./harness.mjs";
import { png } from "./png.mjs";

const app = useApp();

const inked = (pixels) => pixels.filter((v) => v > 0.5).length;
const stepOf = async (page) => (await progress(page)).step;
const waitForStep = (page, above, timeout = 60_000) =>
  page.waitForFunction(
    (n) => Number(/step (\d+)/.exec(document.querySelector(".progress-text").textContent)?.[1]) > n,
    above,
    { timeout },
  );
const waitForText = (page, selector, pattern, timeout = 30_000) =>
  page.waitForFunction(
    ([sel, source]) => new RegExp(source).test(document.querySelector(sel)?.textContent ?? ""),
    [selector, pattern.source],
    { timeout },
  );

/** The page's training workers: its helper (started by the training worker as `?role=helper`)
 * is another worker of the page's, and so is an import worker. */
const trainingWorkers = (page) => page.workers().filter((w) => !/[?&]role=/.test(w.url()));

/** The page's training worker (there is one). */
async function trainingWorker(page) {
  for (let i = 0; i < 100 && trainingWorkers(page).length === 0; i++) await page.waitForTimeout(100);
  const workers = trainingWorkers(page);
  assert.equal(workers.length, 1, "one training worker");
  return workers[0];
}

test("the Content-Security-Policy admits the app itself and refuses any other origin", async () => {
  const html = readFileSync(fileURLToPath(new URL("../../dist/index.html", import.meta.url)), "utf8");
  const script = /<script type="module">([\s\S]*?)<\/script>/.exec(html)[1];
  const hash = `sha256-${createHash("sha256").update(script).digest("base64")}`;
  const policy = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1] ?? "";
  assert.ok(policy.includes(`'${hash}'`), `index.html's policy must allow trunk's start-up script: put '${hash}' in its script-src`);
  assert.match(policy, /connect-src 'self'/);
  // The style sheet is inline (the first paint needs no second request), admitted by its hash.
  const style = /<style>([\s\S]*?)<\/style>/.exec(html)[1];
  const styleHash = `sha256-${createHash("sha256").update(style).digest("base64")}`;
  assert.ok(policy.includes(`style-src 'self' '${styleHash}'`), `the policy admits the inline style sheet by its hash: ${policy}`);

  const context = await app.browser.newContext();
  await context.addInitScript(() => {
    window.__violations = [];
    document.addEventListener("securitypolicyviolation", (e) => window.__violations.push(`${e.effectiveDirective} ${e.blockedURI}`));
  });
  const { page, errors } = await open(context, app);
  // Exercise what sets styles and decodes: a drawing (σ bands on the sliders) and the manifold.
  await drawStroke(page, [[150, 40], [146, 90], [142, 150], [138, 240]]);
  await waitForText(page, ".score", /nats/);
  assert.notEqual(await page.locator(".sigma-band").first().evaluate((e) => e.style.width), "", "σ band sized");
  assert.deepEqual(await page.evaluate(() => window.__violations), [], "the app itself breaks no rule");
  const outcome = await page.evaluate(() =>
    fetch("http://127.0.0.2:9/elsewhere").then(() => "fetched", (e) => `refused: ${e.message}`),
  );
  assert.match(outcome, /refused/);
  await page.waitForFunction(() => window.__violations.length > 0);
  assert.match((await page.evaluate(() => window.__violations))[0], /^connect-src http:\/\/127\.0\.0\.2/);
  assert.deepEqual(errors, []);
  await context.close();
});

for (const [what, override, pattern] of [
  ["missing", { status: 404 }, /404/],
  ["corrupt", { body: Buffer.from("this is not a digits file, just some bytes to read") }, /not a Latent Lab digits file/],
]) {
  test(`with the digits asset ${what} the page opens, explains, and the pretrained models work`, async () => {
    app.server.overrides["/assets/digits.bin"] = override;
    try {
      const context = await app.browser.newContext();
      const { page, errors } = await open(context, app);
      assert.ok(inked(await pixelsOf(page, ".big-digit canvas.digit")) > 40, "a decoded digit");
      await waitForText(page, ".progress-text", /Training is unavailable/);
      assert.match(await page.textContent(".progress-text"), pattern);
      assert.equal(await page.locator(".training-buttons .start").isDisabled(), true);
      await waitForText(page, ".interpolation-panel", /No test images: the test digits are unavailable/);
      // Another pretrained model still loads and decodes.
      const option = "pretrained:mlp-vae-z16";
      await page.selectOption("#model-select", option);
      await page.waitForSelector(`.model-info[data-model="${option}"][data-status="ready"]`);
      await page.waitForFunction(() => document.querySelectorAll('.sliders input[type="range"]').length === 16);
      await page.locator("#z-1").fill("1.5");
      const ink = inked(await pixelsOf(page, ".big-digit canvas.digit"));
      assert.ok(ink > 20, `inked pixels of the z=16 model's digit: ${ink}`);
      await page.screenshot({ path: `${results}digits-${what}.png`, fullPage: true });
      assert.deepEqual(errors, []);
      await context.close();
    } finally {
      delete app.server.overrides["/assets/digits.bin"];
    }
  });
}

test("a worker that crashes is replaced and the run goes on from its last snapshot", async () => {
  const context = await app.browser.newContext();
  const { page, errors } = await open(context, app);
  await startTraining(page);
  await waitForStep(page, 30);
  const worker = await trainingWorker(page);
  // An uncaught error in the worker (as a panic's trap would be) reaches the page as an error event.
  await worker.evaluate(() => setTimeout(() => { throw new Error("simulated crash"); }));
  await waitForText(page, ".training-message", /A new worker was started/);
  assert.match(await page.getAttribute(".training-message", "class"), /\berror\b/, "a crash is a problem");
  assert.match(await page.textContent(".training-message"), /simulated crash/);
  assert.equal(await page.getAttribute(".progress-text", "data-state"), "paused");
  const restored = await stepOf(page);

  // The explorer keeps decoding meanwhile: the pretrained 2-D model, dragged across its range.
  await page.selectOption("#model-select", "pretrained:mlp-vae-z2");
  await page.waitForFunction(() => document.querySelectorAll('.sliders input[type="range"]').length === 2);
  const before = await pixelsOf(page, ".big-digit canvas.digit");
  await page.locator("#z-1").fill("2.5");
  const after = await pixelsOf(page, ".big-digit canvas.digit");
  assert.ok(before.filter((v, i) => Math.abs(v - after[i]) > 0.1).length > 10, "a slider still changes the digit");

  await page.waitForSelector(".training-buttons .resume:not([disabled])");
  await page.waitForFunction(() => document.querySelector(".training-buttons .start:not([disabled])"), null, { timeout: 30_000 });
  await page.click(".training-buttons .resume");
  await waitForStep(page, restored + 20);
  assert.equal(await page.getAttribute(".progress-text", "data-state"), "running");
  assert.deepEqual(errors, []);
  await context.close();
});

test("a worker that stops answering is noticed and replaced", async () => {
  const context = await app.browser.newContext();
  const { page, errors } = await open(context, app);
  await page.waitForSelector(".training-buttons .start:not([disabled])", { timeout: 60_000 });
  const worker = await trainingWorker(page);
  // A closed worker sends no error event: only the missing answers to the page's pings tell.
  await worker.evaluate(() => self.close()).catch(() => {});
  await waitForText(page, ".training-message", /stopped answering/, 20_000);
  await page.waitForSelector(".training-buttons .start:not([disabled])", { timeout: 60_000 });
  await startTraining(page, { epochs: 1 });
  await waitForStep(page, 5);
  assert.deepEqual(errors, []);
  await context.close();
});

/** The page's training worker once it is another than `old` (after a restart). */
/** A training worker none of `gone` (the workers that crashed): a crashed worker can stay in
 * `page.workers()` for a while after its replacement appears, so "not the last one" could be an
 * earlier corpse. */
async function workerOtherThan(page, gone) {
  for (let i = 0; i < 300; i++) {
    const fresh = trainingWorkers(page).find((w) => !gone.has(w));
    if (fresh) return fresh;
    await page.waitForTimeout(100);
  }
  throw new Error("no new training worker was started");
}

test("a worker that keeps crashing is replaced three times, then the page gives up and says why", async () => {
  const context = await app.browser.newContext();
  const { page, errors } = await open(context, app);
  await page.waitForSelector(".training-buttons .start:not([disabled])", { timeout: 60_000 });
  let worker = await trainingWorker(page);
  const crashed = new Set();
  for (let failure = 1; failure <= 3; failure++) {
    await worker.evaluate((n) => setTimeout(() => { throw new Error(`crash number ${n}`); }), failure);
    await waitForText(page, ".training-message", new RegExp(`crash number ${failure}.*A new worker was started`));
    crashed.add(worker);
    worker = await workerOtherThan(page, crashed);
    await page.waitForSelector(".training-buttons .start:not([disabled])", { timeout: 60_000 });
  }
  await worker.evaluate(() => setTimeout(() => { throw new Error("crash number 4"); }));
  await waitForText(page, ".training-message", /crash number 4.*failed 4 times in a minute, so it was not started again/);
  assert.match(await page.textContent(".progress-text"), /Training is unavailable: .*keeps stopping/);
  assert.equal(await page.locator(".training-buttons .start").isDisabled(), true);
  // Given up means given up: the page decided before saying so, and started no fifth worker.
  for (let i = 0; i < 100 && page.workers().length > 0; i++) await page.waitForTimeout(100);
  assert.equal(page.workers().length, 0, "no worker is running");
  // The explorer still works.
  await page.locator("#z-1").fill("2.5");
  assert.ok(inked(await pixelsOf(page, ".big-digit canvas.digit")) > 20);
  assert.deepEqual(errors, []);
  await context.close();
});

/** A worker loader that speaks protocol 999: what a stale cache could hand the page. */
const foreignWorker = 'self.postMessage({ type: "Ready", version: 999 });';

test("a cached worker of another version is noticed and fetched fresh, and training and imports work", async () => {
  app.server.overrides["/worker_loader.js"] = (url) => (url.searchParams.has("fresh") ? null : { body: foreignWorker });
  try {
    const context = await app.browser.newContext();
    const { page, errors } = await open(context, app);
    await waitForText(page, ".training-message", /fresh copy of the training worker was loaded/, 60_000);
    await page.waitForSelector(".training-buttons .start:not([disabled])", { timeout: 60_000 });
    await startTraining(page, { epochs: 1 });
    await waitForStep(page, 5);
    assert.ok(app.server.requests.includes("/worker_mt_bg.wasm"), "the fresh worker's wasm was fetched");
    // The import worker is loaded past the stale cache too.
    const folder = join(mkdtempSync(join(tmpdir(), "latent-lab-fresh-")), "dots");
    mkdirSync(folder);
    for (let i = 0; i < 3; i++) writeFileSync(join(folder, `dot-${i}.png`), png(40, 40, (x, y) => ((x - 20 - i) ** 2 + (y - 20) ** 2 < 64 ? 0 : 255)));
    await page.locator(".import-panel").scrollIntoViewIfNeeded();
    await page.locator(".import-folder").setInputFiles(folder);
    await waitForText(page, ".import-summary", /3 images of 28×28 grey/, 60_000);
    assert.deepEqual(errors, []);
    await context.close();
  } finally {
    delete app.server.overrides["/worker_loader.js"];
  }
});

test("a server whose worker speaks another protocol is refused with a reason", async () => {
  app.server.overrides["/worker_loader.js"] = { body: foreignWorker };
  try {
    const context = await app.browser.newContext();
    const { page, errors } = await open(context, app);
    await waitForText(page, ".training-message", /speaks protocol 999 and this page \d+/, 60_000);
    assert.match(await page.textContent(".progress-text"), /Training is unavailable/);
    assert.equal(await page.locator(".training-buttons .start").isDisabled(), true);
    assert.ok(inked(await pixelsOf(page, ".big-digit canvas.digit")) > 20, "the explorer works");
    assert.deepEqual(errors, []);
    await context.close();
  } finally {
    delete app.server.overrides["/worker_loader.js"];
  }
});

/** The runs kept in the page's IndexedDB. */
const storedRuns = (page) =>
  page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const request = indexedDB.open("latent-lab");
        request.onerror = () => reject(request.error);
        request.onsuccess = () => {
          const db = request.result;
          if (!db.objectStoreNames.contains("runs")) return resolve([]);
          const all = db.transaction("runs").objectStore("runs").getAll();
          all.onsuccess = () => {
            resolve(all.result.map((r) => ({ steps: r.at.steps, losses: r.losses.length })));
            db.close();
          };
          all.onerror = () => reject(all.error);
        };
      }),
  );

/** Waits until the run in training has been written to IndexedDB with steps taken. */
async function waitUntilKept(page) {
  let kept = [];
  for (let i = 0; i < 100 && !(kept[0]?.steps > 0); i++) {
    await page.waitForTimeout(300);
    kept = await storedRuns(page);
  }
  assert.ok(kept[0]?.steps > 0, "the run was written to IndexedDB while training");
}

test("a reload in the middle of training brings back the snapshot and the curves", async () => {
  const context = await app.browser.newContext();
  const { page, errors } = await open(context, app);
  await page.waitForSelector(".training-buttons .start:not([disabled])", { timeout: 60_000 });
  await page.fill(".field.learning-rate input", "0.002");
  await page.press(".field.learning-rate input", "Tab");
  // Long enough to be still training when it is first kept with steps (~5 s in).
  await startTraining(page, { epochs: 50 });
  await waitUntilKept(page);
  const planned = /step \d+ of (\d+)/.exec(await page.textContent(".progress-text"))[1];

  await reload(page);
  await page.waitForSelector('.model-info[data-status="ready"]', { timeout: 60_000 });
  await waitForText(page, ".training-message", /from your last visit is back/);
  assert.match(await page.getAttribute(".training-message", "class"), /\bnote\b/, "news, not an error");
  const [record] = await storedRuns(page);
  const back = await progress(page);
  assert.equal(await page.getAttribute(".progress-text", "data-state"), "paused");
  assert.ok(back.step >= record.steps && back.step > 0, `progress back at step ${back.step} (stored ${record.steps})`);
  const curve = await page.locator(".charts figure").first().locator("path.total").getAttribute("d");
  assert.ok(curve && curve.length > 20, "the loss curve is drawn again");
  assert.equal(await page.inputValue(".field.learning-rate input"), "0.002", "the run's own settings are shown");

  await page.waitForSelector(".training-buttons .resume:not([disabled])");
  await page.waitForFunction(() => document.querySelector(".training-buttons .start:not([disabled])"), null, { timeout: 60_000 });
  await page.click(".training-buttons .resume");
  await waitForStep(page, back.step + 20);
  assert.equal(await page.getAttribute(".progress-text", "data-state"), "running");
  // The epoch the reload interrupted is trained again from its start, so the plan is unchanged.
  const total = /step \d+ of (\d+)/.exec(await page.textContent(".progress-text"))[1];
  assert.equal(total, planned, "the run still plans the same number of steps");
  await page.locator(".training-panel").screenshot({ path: `${results}training-after-reload.png` });

  // A reset run stays gone after the next reload.
  await page.click(".training-buttons .reset");
  await waitForPage(page, () => new Promise((ok) => {
    const r = indexedDB.open("latent-lab");
    r.onsuccess = () => { const all = r.result.transaction("runs").objectStore("runs").getAll(); all.onsuccess = () => { ok(all.result.length === 0); r.result.close(); }; };
  }));
  await reload(page);
  await page.waitForSelector(".training-buttons .start:not([disabled])", { timeout: 60_000 });
  // The page has looked for a kept run (and found none): only then is an absence telling.
  await page.waitForSelector('.training-panel[data-restore="checked"]', { timeout: 60_000 });
  assert.doesNotMatch(await page.textContent(".training-message"), /from your last visit/);
  assert.deepEqual(errors, []);
  await context.close();
});

test("Resume pressed after a reload before the worker has the data is kept, and the run goes on once it has", async () => {
  const context = await app.browser.newContext();
  const { page, errors } = await open(context, app);
  // Long enough to be still training when it is first kept with steps (~5 s in).
  await startTraining(page, { epochs: 50 });
  await waitUntilKept(page);

  // The new worker's digits are held back until the test lets them go.
  let release;
  const released = new Promise((ok) => { release = ok; });
  app.server.overrides["/assets/digits.bin"] = () => released.then(() => null);
  try {
    await reload(page);
    await waitForText(page, ".training-message", /from your last visit is back/);
    const back = await progress(page);
    await page.click(".training-buttons .resume");
    await waitForText(page, ".training-message", /still loading the data: the run goes on as soon as it has/);
    assert.equal(await page.getAttribute(".progress-text", "data-state"), "paused", "nothing trains without the data");
    release();
    await waitForStep(page, back.step + 12);
    assert.equal(await page.getAttribute(".progress-text", "data-state"), "running");
    assert.doesNotMatch(await page.textContent(".training-message"), /still loading/, "the notice is gone once the run goes on");
  } finally {
    release();
    delete app.server.overrides["/assets/digits.bin"];
  }
  await page.click(".training-buttons .reset");
  assert.deepEqual(errors, []);
  await context.close();
});

test("storage that is unavailable is reported and the page works without it", async () => {
  const context = await app.browser.newContext();
  await context.addInitScript(() => {
    Object.defineProperty(window, "indexedDB", { get: () => undefined, configurable: true });
  });
  const { page, errors } = await open(context, app);
  await waitForText(page, ".library-message", /storage is not available/);
  assert.ok(inked(await pixelsOf(page, ".big-digit canvas.digit")) > 40);
  await startTraining(page, { epochs: 1 });
  await page.waitForFunction(() => document.querySelector(".progress-text").dataset.state === "finished", null, { timeout: 120_000 });
  assert.ok(await page.$$eval("#model-select option", (os) => os.some((o) => o.textContent.includes("trained here, 1/1"))), "the trained model is in the library for this visit");
  assert.deepEqual(errors, []);
  await context.close();
});

test("storage that is full is reported and nothing trained is lost from the page", async () => {
  const context = await app.browser.newContext();
  await context.addInitScript(() => {
    IDBObjectStore.prototype.put = function () {
      throw new DOMException("simulated full disk", "QuotaExceededError");
    };
  });
  const { page, errors } = await open(context, app);
  await startTraining(page, { epochs: 1 });
  await page.waitForFunction(() => document.querySelector(".progress-text").dataset.state === "finished", null, { timeout: 120_000 });
  await page.waitForFunction(() => /storage for this page is full/.test(document.querySelector(".library-message").textContent + document.querySelector(".training-message").textContent));
  assert.ok(await page.$$eval("#model-select option", (os) => os.some((o) => o.textContent.includes("trained here, 1/1"))));
  assert.deepEqual(errors, []);
  await context.close();
});

/** The pretrained MLP-VAE z=2 file, its header parsed, and a writer for altered copies. */
function pretrainedParts() {
  const bytes = readFileSync(fileURLToPath(new URL("../../assets/pretrained/mlp-vae-z2.safetensors", import.meta.url)));
  const length = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + length).toString("utf8"));
  const data = bytes.subarray(8 + length);
  const write = (h, d = data) => {
    const json = Buffer.from(JSON.stringify(h));
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(BigInt(json.length));
    return Buffer.concat([prefix, json, d]);
  };
  return { bytes, header, data, write };
}

test("every kind of bad weights file is refused with its reason, and the model stays as it was", async () => {
  const { bytes, header, data, write } = pretrainedParts();
  const absurd = Buffer.alloc(64);
  absurd.writeBigUInt64LE(1n << 60n);
  const nan = Buffer.from(data);
  for (let i = 0; i + 1 < nan.length; i += 2) nan.writeUInt16LE(0x7e00, i); // f16 NaN
  const otherShapes = structuredClone(header);
  otherShapes.__metadata__.hidden = "300";
  const otherKind = structuredClone(header);
  otherKind.__metadata__.kind = "conv-vae";
  const unknownKind = structuredClone(header);
  unknownKind.__metadata__.kind = "diffusion";
  let seed = 7;
  const random = Buffer.from(Array.from({ length: 4096 }, () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24));
  const cases = [
    ["truncated", bytes.subarray(0, 5000), /truncated/],
    ["random bytes", random, /header|corrupt|safetensors/],
    ["a JSON file", Buffer.from(JSON.stringify({ weights: [1, 2, 3] })), /text file|JSON|safetensors/],
    ["an absurd header length", absurd, /absurd/],
    ["other shapes (hidden 300 declared, 400 stored)", write(otherShapes), /shape/],
    ["another kind's metadata (conv-vae) on MLP weights", write(otherKind), /Conv-VAE|conv-vae/],
    ["an unknown kind", write(unknownKind), /does not know/],
    ["NaN weights", write(header, nan), /NaN/],
  ];

  const context = await app.browser.newContext();
  const { page, errors } = await open(context, app);
  const model = await page.getAttribute(".model-info", "data-model");
  const pixels = await pixelsOf(page, ".big-digit canvas.digit");
  const seen = [];
  for (const [i, [name, content, reason]] of cases.entries()) {
    const file = `bad-${i}.safetensors`;
    await page.setInputFiles("#model-file", { name: file, mimeType: "application/octet-stream", buffer: content });
    await page.waitForFunction((f) => document.querySelector(".library-message").textContent.includes(`“${f}” was not loaded`), file);
    const message = await page.textContent(".library-message");
    seen.push(`${name}: ${message}`);
    assert.match(message, reason, name);
    assert.match(message, /Nothing was changed/, name);
    assert.equal(await page.getAttribute(".model-info", "data-model"), model, `${name}: the model stays`);
  }
  assert.deepEqual(await pixelsOf(page, ".big-digit canvas.digit"), pixels, "the digit is unchanged");
  console.log(seen.map((s) => `bad file → ${s}`).join("\n"));
  assert.deepEqual(errors, []);
  await context.close();
});

test("a diverging learning rate pauses training, keeps the last good weights and suggests a fix", async () => {
  const context = await app.browser.newContext();
  const { page, errors } = await open(context, app);
  await page.waitForSelector(".training-buttons .start:not([disabled])", { timeout: 60_000 });
  await page.fill(".field.learning-rate input", "10");
  await page.press(".field.learning-rate input", "Tab");
  await startTraining(page);
  await page.waitForFunction(() => document.querySelector(".progress-text").dataset.state === "diverged", null, { timeout: 60_000 });
  const message = await page.textContent(".training-message");
  assert.match(message, /diverged/);
  assert.match(message, /lower the learning rate/);
  console.log(`divergence → ${message}`);
  // The explorer shows the restored weights: a finite, drawable digit.
  const digit = await pixelsOf(page, ".big-digit canvas.digit");
  assert.ok(digit.every((v) => Number.isFinite(v)));
  // With a sane rate the run resumes from there.
  await page.fill(".field.learning-rate input", "0.001");
  await page.press(".field.learning-rate input", "Tab");
  const stopped = await stepOf(page);
  await page.click(".training-buttons .resume");
  await waitForStep(page, stopped + 10);
  assert.deepEqual(errors, []);
  await context.close();
});

test("a single dot, a canvas filled with ink, and a cleared canvas give sensible results", async () => {
  const context = await app.browser.newContext();
  const { page, errors } = await open(context, app);
  const score = () => page.textContent(".score");
  const finiteScore = async (what) => {
    await waitForText(page, ".score", /nats/);
    const text = await score();
    const nats = Number(/(-?\d+(?:\.\d+)?) nats/.exec(text)?.[1]);
    assert.ok(Number.isFinite(nats), `${what}: ${text}`);
    const recon = await pixelsOf(page, ".reconstruction canvas.digit");
    assert.ok(recon.every(Number.isFinite), `${what}: finite reconstruction`);
    const z = await page.$$eval('.sliders input[type="range"]', (inputs) => inputs.map((i) => Number(i.value)));
    assert.ok(z.every(Number.isFinite), `${what}: finite sliders ${z}`);
    console.log(`drawing ${what} → ${text}`);
  };

  await drawStroke(page, [[140, 140], [141, 140]]);
  await finiteScore("a single dot");
  await page.click("text=Clear");
  await waitForText(page, ".score", /Draw a digit/);

  const zigzag = [];
  for (let y = 4; y <= 276; y += 12) zigzag.push([4, y], [276, y]);
  await drawStroke(page, zigzag);
  await finiteScore("filling the whole canvas");
  const ink = (await pixelsOf(page, ".drawn canvas.digit")).filter((v) => v > 0.5).length;
  assert.ok(ink > 300, `the filled drawing is mostly ink (${ink} pixels)`);

  await page.click("text=Clear");
  await waitForText(page, ".score", /Draw a digit/);
  assert.deepEqual(errors, []);
  await context.close();
});
