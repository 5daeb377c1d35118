// End to end: training in the worker, seen from the page; the model library across reloads,
// downloads and uploads. Run by tools/test after `trunk build --release`.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { open, pixelsOf, progress, results, startTraining, useApp, workerCaughtUp } from "./harness.mjs";

const app = useApp();

test("training runs in the worker while the page keeps answering, and pause stops it", async () => {
  const context = await app.browser.newContext();
  const { page, errors } = await open(context, app);
  await startTraining(page);
  await page.waitForFunction(() => /loss \d/.test(document.querySelector(".progress-text").textContent), null, { timeout: 30_000 });
  const early = await progress(page);
  await page.waitForFunction(() => Number(/step (\d+)/.exec(document.querySelector(".progress-text").textContent)?.[1]) > 40, null, { timeout: 60_000 });
  const later = await progress(page);
  assert.ok(later.step > early.step, `progress moved: ${early.text} → ${later.text}`);
  assert.ok(later.loss < early.loss, `loss fell: ${early.loss} → ${later.loss}`);
  assert.match(later.text, /samples\/s/);

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

test("a trained model is kept across a reload, and a download loads back to the same pixels", async () => {
  const context = await app.browser.newContext({ acceptDownloads: true });
  const { page } = await open(context, app);
  await startTraining(page, { epochs: 1 });
  await page.waitForFunction(() => document.querySelector(".progress-text").dataset.state === "finished", null, { timeout: 120_000 });
  await page.waitForFunction(() => [...document.querySelectorAll("#model-select option")].some((o) => o.textContent.includes("trained here, 1/1")));
  // The page writes to IndexedDB in the background: reload once the finished model is there.
  await page.waitForFunction(() => new Promise((ok) => {
    const r = indexedDB.open("latent-lab");
    r.onsuccess = () => {
      const all = r.result.transaction("models").objectStore("models").getAll();
      all.onsuccess = () => { ok(all.result.some((m) => m.name.includes("trained here, 1/1"))); r.result.close(); };
    };
  }));

  await page.reload();
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

  await page.setInputFiles("#model-file", file);
  await page.waitForFunction(() => document.querySelector(".model-info").dataset.model.startsWith("stored:file-"));
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
