// End to end: training in the worker, seen from the page; the model library across reloads,
// downloads and uploads. Run by tools/test after `trunk build --release`.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { serve } from "./server.mjs";
import { open, pixelsOf, progress, results, startTraining, useApp, waitForPage, workerCaughtUp, reload } from "./harness.mjs";

const app = useApp();

test("training runs in the worker while the page keeps answering, and pause stops it", async () => {
  const context = await app.browser.newContext();
  const from = app.server.requests.length;
  const { page, errors } = await open(context, app);
  await startTraining(page);
  await page.waitForFunction(() => /loss \d/.test(document.querySelector(".progress-text").textContent), null, { timeout: 30_000 });
  const early = await progress(page);
  await page.waitForFunction(() => Number(/step (\d+)/.exec(document.querySelector(".progress-text").textContent)?.[1]) > 40, null, { timeout: 60_000 });
  const later = await progress(page);
  assert.ok(later.step > early.step, `progress moved: ${early.text} → ${later.text}`);
  assert.ok(later.loss < early.loss, `loss fell: ${early.loss} → ${later.loss}`);
  assert.match(later.text, /samples\/s/);
  // Served cross-origin isolated, the worker's threaded build trains, with a helper thread on
  // the second core. The helper got the worker's compiled module and memory: the wasm was
  // downloaded once, and the plain build not at all.
  assert.equal(await page.getAttribute(".threads", "data-threads"), "2");
  const fetched = (name) => app.server.requests.slice(from).filter((r) => r.startsWith(name)).length;
  assert.equal(fetched("/worker_mt_bg.wasm"), 1, "the threaded worker's wasm, once");
  assert.equal(fetched("/worker_bg.wasm"), 0, "the plain worker's wasm, never");

  // The explorer follows the training model (z = 20 sliders) and still answers a drag.
  await page.waitForFunction(() => document.querySelectorAll('.sliders input[type="range"]').length === 20);
  await page.locator("#z-1").scrollIntoViewIfNeeded();
  const before = await pixelsOf(page, ".big-digit canvas.digit");
  const box = await page.locator("#z-1").boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.98, box.y + box.height / 2, { steps: 10 });
  await page.mouse.up();
  const after = await pixelsOf(page, ".big-digit canvas.digit");
  const changed = before.filter((v, i) => Math.abs(v - after[i]) > 0.1).length;
  assert.ok(changed > 10, `${changed} pixels changed while training`);

  // A larger batch mid-run (applied from the next batch): the shared buffer is made larger for
  // the helper, and training goes on on two threads without a word of trouble.
  const atChange = (await progress(page)).step;
  await page.fill(".field.batch input", "512");
  await page.press(".field.batch input", "Tab");
  await page.waitForFunction((s) => Number(/step (\d+)/.exec(document.querySelector(".progress-text").textContent)?.[1]) > s + 10, atChange, { timeout: 60_000 });
  assert.equal(await page.getAttribute(".threads", "data-threads"), "2");
  assert.equal((await page.textContent(".training-message")).trim(), "");

  await page.click(".training-buttons .pause");
  await page.waitForFunction(() => document.querySelector(".progress-text").dataset.state === "paused");
  const paused = await progress(page);
  // A worker still training would have sent progress before answering a later ping.
  await workerCaughtUp(page);
  assert.equal((await progress(page)).step, paused.step, "no steps while paused");
  await page.locator(".training-panel").screenshot({ path: `${results}training.png` });
  assert.deepEqual(errors, []);
  await context.close();
});

test("served without cross-origin isolation, training runs on one thread and the panel says why", async () => {
  const plain = await serve(fileURLToPath(new URL("../../dist/", import.meta.url)), { isolated: false });
  const context = await app.browser.newContext();
  try {
    const { page, errors } = await open(context, { server: plain });
    assert.equal(await page.evaluate(() => crossOriginIsolated), false);
    await page.waitForSelector(".threads:not([hidden])");
    assert.equal(await page.getAttribute(".threads", "data-threads"), "1");
    assert.match(await page.textContent(".threads"), /one thread: this page is not cross-origin isolated.*COOP\/COEP/s);
    await startTraining(page);
    await page.waitForFunction(() => /loss \d/.test(document.querySelector(".progress-text").textContent), null, { timeout: 30_000 });
    const early = await progress(page);
    await page.waitForFunction(() => Number(/step (\d+)/.exec(document.querySelector(".progress-text").textContent)?.[1]) > 40, null, { timeout: 60_000 });
    const later = await progress(page);
    assert.ok(later.loss < early.loss, `loss fell on one thread: ${early.loss} → ${later.loss}`);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
    await plain.close();
  }
});

test("two threads train the run one thread trains: a seeded two-epoch run ends at the same loss with and without its helper", async () => {
  // The threaded build's helper computes part of each step's digits on the trainer's very
  // parameters (ml/helper/thread.rs), the plain build's on its own copy (worker/helper_host.rs);
  // the trainer adds their gradients to its own: the sums differ from one thread's in rounding
  // only (natively: tests/helper.rs, tests/shared_helper.rs).
  const dist = fileURLToPath(new URL("../../dist/", import.meta.url));
  const plain = await serve(dist, { isolated: false });
  // Isolated, but without the threaded build (a build made without it): the plain build's
  // helper, with copies.
  const copies = await serve(dist);
  copies.overrides["/worker_mt.js"] = { status: 404 };
  const finalLoss = async (server, threads, wasm) => {
    const context = await app.browser.newContext();
    const from = server.requests.length;
    try {
      const { page, errors } = await open(context, { server });
      await startTraining(page, { epochs: 2 });
      await page.waitForFunction(() => document.querySelector(".progress-text")?.dataset.state === "finished", null, { timeout: 120_000 });
      assert.equal(await page.getAttribute(".threads", "data-threads"), threads);
      assert.ok(server.requests.slice(from).includes(wasm), `${wasm} trained`);
      assert.deepEqual(errors, []);
      return (await progress(page)).loss;
    } finally {
      await context.close();
    }
  };
  try {
    const shared = await finalLoss(app.server, "2", "/worker_mt_bg.wasm");
    const copied = await finalLoss(copies, "2", "/worker_bg.wasm");
    const one = await finalLoss(plain, "1", "/worker_bg.wasm");
    for (const [name, loss] of [["one shared memory", shared], ["copies", copied]]) {
      assert.ok(Number.isFinite(loss) && Number.isFinite(one), `both runs report a loss: ${loss}, ${one}`);
      assert.ok(Math.abs(loss - one) <= 0.5, `two threads (${name}) end at ${loss}, one thread at ${one}`);
    }
  } finally {
    await plain.close();
    await copies.close();
  }
});

test("an engine without relaxed SIMD trains on two threads with copies, and never loads the threaded build", async () => {
  // The threaded build multiplies and adds with relaxed SIMD, which Safari rejects whole, so the
  // worker's loader probes for it (worker_loader.js). Chromium cannot switch it off any more:
  // the loader is served with a `WebAssembly.validate` that refuses `f32x4.relaxed_madd`.
  const loader = readFileSync(fileURLToPath(new URL("../../dist/worker_loader.js", import.meta.url)), "utf8");
  const refuse = `const validate = WebAssembly.validate;
WebAssembly.validate = (bytes) => {
  const b = new Uint8Array(bytes);
  for (let i = 0; i + 2 < b.length; i++) if (b[i] === 0xfd && b[i + 1] === 0x85 && b[i + 2] === 0x02) return false;
  return validate(bytes);
};
`;
  app.server.overrides["/worker_loader.js"] = { body: Buffer.from(refuse + loader) };
  const context = await app.browser.newContext();
  const from = app.server.requests.length;
  try {
    const { page, errors } = await open(context, app);
    await startTraining(page);
    await page.waitForFunction(() => Number(/step (\d+)/.exec(document.querySelector(".progress-text").textContent)?.[1]) > 5, null, { timeout: 60_000 });
    assert.equal(await page.getAttribute(".threads", "data-threads"), "2");
    const fetched = app.server.requests.slice(from);
    assert.ok(fetched.includes("/worker_bg.wasm"), `the plain worker trains: ${fetched.join(" ")}`);
    assert.ok(!fetched.some((r) => r.startsWith("/worker_mt")), `the threaded build is not even fetched: ${fetched.join(" ")}`);
    assert.deepEqual(errors, []);
  } finally {
    delete app.server.overrides["/worker_loader.js"];
    await context.close();
  }
});

test("a trained model is kept across a reload, and its download is the same model byte for byte", async () => {
  const context = await app.browser.newContext({ acceptDownloads: true });
  const { page } = await open(context, app);
  await startTraining(page, { epochs: 1 });
  await page.waitForFunction(() => document.querySelector(".progress-text").dataset.state === "finished", null, { timeout: 120_000 });
  await page.waitForFunction(() => [...document.querySelectorAll("#model-select option")].some((o) => o.textContent.includes("trained here, 1/1")));
  // The page writes to IndexedDB in the background: reload once the finished model is there,
  // its entry named and its weights those of the last epoch (the name can be written a moment
  // before the final snapshot's weights).
  await waitForPage(page, () => new Promise((ok) => {
    const r = indexedDB.open("latent-lab");
    const epochs = (b) => {
      const n = Number(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true));
      return JSON.parse(new TextDecoder().decode(b.subarray(8, 8 + n))).__metadata__.epochs;
    };
    r.onsuccess = () => {
      const all = r.result.transaction("models").objectStore("models").getAll();
      all.onsuccess = () => { ok(all.result.some((m) => m.name.includes("trained here, 1/1") && epochs(m.bytes) === "1")); r.result.close(); };
    };
  }));

  await reload(page);
  await page.waitForSelector('.model-info[data-status="ready"]', { timeout: 60_000 });
  await page.waitForFunction(() => [...document.querySelectorAll("#model-select option")].some((o) => o.textContent.includes("trained here, 1/1")));
  const kept = await page.$$eval("#model-select option", (os) => os.filter((o) => o.textContent.includes("trained here")).map((o) => o.value));
  assert.equal(kept.length, 1);
  await page.selectOption("#model-select", kept[0]);
  await page.waitForSelector(`.model-info[data-model="${kept[0]}"]`);
  const original = await pixelsOf(page, ".big-digit canvas.digit");

  const [download] = await Promise.all([page.waitForEvent("download"), page.click("text=Download")]);
  const file = join(tmpdir(), `latent-lab-e2e-${Date.now()}.safetensors`);
  await download.saveAs(file);
  assert.match(download.suggestedFilename(), /^latent-lab-mlp-vae-z20-h400-e1\.safetensors$/);

  // Loaded back, the file is recognised as the very model it came from (byte for byte): the
  // library shows that one instead of keeping a copy, so the digit on screen is the same.
  await page.setInputFiles("#model-file", file);
  await page.waitForFunction(() => /already in this browser/.test(document.querySelector(".library-message").textContent));
  assert.equal(await page.getAttribute(".model-info", "data-model"), kept[0]);
  assert.equal(await page.locator('#model-select option[value^="stored:file-"]').count(), 0, "no second entry");
  const reloaded = await pixelsOf(page, ".big-digit canvas.digit");
  const diff = Math.max(...original.map((v, i) => Math.abs(v - reloaded[i])));
  assert.ok(diff <= 1 / 255 + 1e-6, `largest pixel difference ${diff}`);
  await context.close();
});

test("a file that is not a model is refused with a reason and changes nothing", async () => {
  const context = await app.browser.newContext();
  const { page } = await open(context, app);
  const before = await page.getAttribute(".model-info", "data-model");
  const bad = join(tmpdir(), "not-a-model.safetensors");
  writeFileSync(bad, JSON.stringify({ hello: "this is JSON, not weights" }));
  await page.setInputFiles("#model-file", bad);
  await page.waitForFunction(() => /was not loaded/.test(document.querySelector(".library-message").textContent));
  assert.match(await page.textContent(".library-message"), /text file/);
  assert.equal(await page.getAttribute(".model-info", "data-model"), before);
  await context.close();
});

test("a file from the native trainer loads by the picker and by drag-and-drop", async () => {
  const context = await app.browser.newContext();
  const { page } = await open(context, app);
  const native = fileURLToPath(new URL("../../assets/pretrained/conv-vae-z16.safetensors", import.meta.url));
  await page.setInputFiles("#model-file", native);
  await page.waitForFunction(() => document.querySelector(".model-info").dataset.model.startsWith("stored:file-"));
  assert.match(await page.textContent(".model-info"), /Conv-VAE z=16/);
  // The same file again is the same model, not a second entry.
  await page.selectOption("#model-select", "pretrained:mlp-vae-z2");
  await page.setInputFiles("#model-file", native);
  await page.waitForFunction(() => /already in this browser/.test(document.querySelector(".library-message").textContent));
  assert.match(await page.textContent(".model-info"), /Conv-VAE z=16/);
  assert.equal(await page.locator('#model-select option[value^="stored:file-"]').count(), 1);

  // Drop the bytes of the MLP-VAE z=16 on the page, as a person dragging a file would.
  const bytes = [...readFileSync(fileURLToPath(new URL("../../assets/pretrained/mlp-vae-z16.safetensors", import.meta.url)))];
  await page.evaluate((data) => {
    const file = new File([new Uint8Array(data)], "dropped.safetensors");
    const transfer = new DataTransfer();
    transfer.items.add(file);
    document.body.dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }, bytes);
  await page.waitForFunction(() => /dropped\.safetensors/.test(document.querySelector(".library-message").textContent));
  assert.match(await page.textContent(".model-info"), /MLP-VAE z=16/);
  await context.close();
});

test("after the first epoch the per-epoch chart's ticks each say a different number", async () => {
  const context = await app.browser.newContext();
  const { page, errors } = await open(context, app);
  await startTraining(page, { epochs: 1 });
  await page.waitForFunction(() => document.querySelector(".progress-text").dataset.state === "finished", null, { timeout: 120_000 });
  // The third chart: test −ELBO, reconstruction and KL per epoch, one point each so far.
  const chart = page.locator(".charts figure").nth(2);
  // One point is drawn as a dot (a path of length zero, which the browser counts as hidden).
  await chart.locator("path.total").waitFor({ state: "attached" });
  const labels = await chart.locator('.axes text.tick[text-anchor="end"]').allTextContents();
  assert.ok(labels.length >= 3, `ticks: ${labels}`);
  assert.equal(new Set(labels).size, labels.length, `every tick is labelled differently: ${labels}`);
  assert.deepEqual(errors, []);
  await context.close();
});

test("deleting the model of a paused run asks first, and ends the run with it", async () => {
  const context = await app.browser.newContext();
  const { page, errors } = await open(context, app);
  await startTraining(page);
  await page.waitForFunction(() => Number(/step (\d+)/.exec(document.querySelector(".progress-text").textContent)?.[1]) > 5, null, { timeout: 60_000 });
  await page.click(".training-buttons .pause");
  await page.waitForFunction(() => document.querySelector(".progress-text").dataset.state === "paused");
  const run = await page.getAttribute(".model-info", "data-model");
  assert.match(run, /^stored:run-/, "the explorer follows the run's model");

  // Declined: nothing changes.
  page.once("dialog", (d) => d.dismiss());
  await page.click(".picker-row >> text=Delete");
  assert.equal(await page.getAttribute(".progress-text", "data-state"), "paused");
  assert.equal(await page.locator(`#model-select option[value="${run}"]`).count(), 1);

  // Accepted: the model and the run go together.
  let question = "";
  page.once("dialog", (d) => {
    question = d.message();
    d.accept();
  });
  await page.click(".picker-row >> text=Delete");
  await page.waitForFunction((id) => !document.querySelector(`#model-select option[value="${id}"]`), run);
  assert.match(question, /ends the run/);
  await page.waitForFunction(() => document.querySelector(".progress-text").dataset.state === "idle");
  assert.equal(await page.locator(".training-buttons .resume").isDisabled(), true);
  // The explorer goes back to a pretrained model (loaded, so a moment later).
  await page.waitForFunction(() => /^pretrained:/.test(document.querySelector(".model-info")?.dataset.model ?? ""));
  assert.deepEqual(errors, []);
  await context.close();
});

test("Start over a run in progress asks first", async () => {
  const context = await app.browser.newContext();
  const { page, errors } = await open(context, app);
  await startTraining(page);
  await page.waitForFunction(() => Number(/step (\d+)/.exec(document.querySelector(".progress-text").textContent)?.[1]) > 20, null, { timeout: 60_000 });
  const run = await page.getAttribute(".model-info", "data-model");
  page.once("dialog", (d) => d.dismiss());
  await page.click(".training-buttons .start");
  assert.equal(await page.getAttribute(".progress-text", "data-state"), "running", "declined: the run goes on");
  assert.ok((await progress(page)).step > 20);

  let question = "";
  page.once("dialog", (d) => {
    question = d.message();
    d.accept();
  });
  await page.click(".training-buttons .start");
  assert.match(question, /A run is training, epoch \d+ of 10\. Start a new one\?/);
  await page.waitForFunction((old) => document.querySelector(".model-info").dataset.model !== old, run, { timeout: 30_000 });
  assert.equal(await page.locator(`#model-select option[value="${run}"]`).count(), 1, "the old run's model stays in the library");
  assert.deepEqual(errors, []);
  await context.close();
});

test("a setting that cannot be used says why under its field, and the message goes when it is corrected", async () => {
  const context = await app.browser.newContext();
  const { page, errors } = await open(context, app);
  await page.waitForSelector(".training-buttons .start:not([disabled])", { timeout: 60_000 });
  const field = ".field.learning-rate";
  await page.fill(`${field} input`, "20");
  await page.press(`${field} input`, "Tab");
  await page.waitForFunction((f) => /learning rate of 20 cannot be used/.test(document.querySelector(`${f} .field-problem`).textContent), field);
  assert.equal(await page.getAttribute(`${field} input`, "aria-invalid"), "true");
  assert.equal(await page.locator(".training-buttons .start").isDisabled(), true, "no start with a bad setting");
  await page.fill(`${field} input`, "abc");
  await page.waitForFunction((f) => /“abc” is not a number/.test(document.querySelector(`${f} .field-problem`).textContent), field);
  await page.fill(`${field} input`, "0.002");
  await page.press(`${field} input`, "Tab");
  await page.waitForFunction((f) => document.querySelector(`${f} .field-problem`).textContent === "", field);
  assert.equal(await page.getAttribute(`${field} input`, "aria-invalid"), "false");
  await page.waitForSelector(".training-buttons .start:not([disabled])");
  // The hidden size is checked against the kind chosen: 400 channels are too many for a convolution.
  await page.selectOption(".field.kind select", "conv-vae");
  assert.equal(await page.inputValue(".field.hidden input"), "32", "the kind's own width");
  await page.fill(".field.hidden input", "400");
  await page.waitForFunction(() => /choose 4 to 128/.test(document.querySelector(".field.hidden .field-problem").textContent));
  assert.deepEqual(errors, []);
  await context.close();
});
