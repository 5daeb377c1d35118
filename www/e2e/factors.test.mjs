// End to end: the generated shapes and the factors chapter (src/ui/factors.rs,
// factor_reading.rs, generated.rs). The shapes are chosen, a β-VAE preset trains on them, and
// after each epoch the table of what each latent dimension knows, its MIG and the traversals
// are read again from the model in training.

import { test } from "node:test";
import assert from "node:assert/strict";
import { audit, open, results, useApp } from "./harness.mjs";

const app = useApp();

/** The MIG the chapter's table shows, or null. */
const tableMig = (page) => page.evaluate(() => document.querySelector(".factor-table")?.dataset.mig ?? null);

test("the generated shapes are chosen, a β-VAE trains on them, and the factors table follows each epoch", async () => {
  const context = await app.browser.newContext();
  const { page, errors } = await open(context, app);
  await page.locator(".factors-panel").scrollIntoViewIfNeeded();
  await page.click(".factors-panel .use-sprites");
  // Drawn in the page, then the data of every chapter and of the worker.
  await page.waitForFunction(() => document.querySelector("#data-select")?.value === "generated:sprites", null, { timeout: 60_000 });
  await page.waitForFunction(() => /“sprites” \(10,080 pictures; 2,016 test images/.test(document.querySelector(".data-in-use")?.textContent ?? ""), null, { timeout: 60_000 });
  // The digits model cannot read 64×64 shapes: the chapter says what to do.
  await page.waitForFunction(() => /model of 64×64 grey pictures/.test(document.querySelector(".factors-status")?.textContent ?? ""));

  // The β-VAE preset fills the settings; two epochs.
  await page.click(".training-panel .preset.beta-vae");
  assert.equal(await page.inputValue(".field.latent input"), "10");
  assert.equal(await page.inputValue(".field.beta input"), "4");
  await page.fill(".field.epochs input", "2");
  await page.press(".field.epochs input", "Tab");
  await page.waitForSelector(".training-buttons .start:not([disabled])", { timeout: 60_000 });
  const started = Date.now();
  await page.click(".training-buttons .start");

  // After the first epoch: a table of 10 dimensions by 5 factors, a MIG, every factor's best
  // dimension starred, and a traversal row per dimension.
  await page.locator(".factors-panel").scrollIntoViewIfNeeded();
  await page.waitForFunction(() => /after epoch 1/.test(document.querySelector(".factors-status")?.textContent ?? ""), null, { timeout: 240_000 });
  const first = Number(await tableMig(page));
  console.log(`# epoch 1 after ${((Date.now() - started) / 1000).toFixed(1)} s: MIG ${first}`);
  assert.ok(first >= 0 && first <= 1, `MIG ${first}`);
  assert.equal(await page.locator(".factor-table tbody tr").count(), 10);
  assert.equal(await page.locator(".factor-table thead th").count(), 2 + 5 + 1);
  assert.equal(await page.locator(".factor-table td.best").count(), 5);
  assert.equal(await page.locator(".traversal-row").count(), 10);
  const rowWords = await page.textContent(".traversal-row .traversal-label");
  assert.match(rowWords, /^z\d+: (moves the shape|makes the shape|turns the shape|changes the shape|mixes|used, but|unused)/);
  // The β figures beside the KL bars show the same MIG.
  await page.waitForFunction((m) => document.querySelector(".mig-summary")?.dataset.mig === m, String(first.toFixed(4)));

  // The second epoch is read again.
  await page.waitForFunction(() => /after epoch 2|MIG [0-9.]+ for Conv-VAE/.test(document.querySelector(".factors-status")?.textContent ?? ""), null, { timeout: 240_000 });
  await page.waitForFunction((m) => { const now = document.querySelector(".factor-table")?.dataset.mig; return now && now !== m; }, String(first.toFixed(4)), { timeout: 60_000 });
  console.log(`# epoch 2 after ${((Date.now() - started) / 1000).toFixed(1)} s: MIG ${await tableMig(page)}`);
  await page.locator(".factors-panel").screenshot({ path: `${results}factors.png` });
  // A traversal is seven 64×64 pictures side by side, and shows shapes (after two short
  // epochs, faint ones: a tenth of the ink is counted).
  const inked = await page.evaluate(() => {
    const c = document.querySelector(".traversal");
    const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    let ink = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] < 230) ink += 1;
    return { width: c.width, height: c.height, ink };
  });
  assert.deepEqual([inked.width, inked.height], [7 * 64, 64]);
  assert.ok(inked.ink > 200, `ink in a traversal: ${inked.ink}`);

  await audit(page, "the factors chapter, read after training");

  // A seed of another shape: the rows are drawn from it.
  const before = await page.evaluate(() => document.querySelector(".traversal").toDataURL());
  await page.click(".seeds .seed:nth-child(3)");
  await page.waitForFunction((b) => document.querySelector(".traversal").toDataURL() !== b, before);
  assert.deepEqual(errors, []);
  await context.close();
});

test("the shipped β-VAE is fetched only when chosen, and brings the shapes and its factors with it", async () => {
  const context = await app.browser.newContext();
  const { page, errors } = await open(context, app);
  const asked = () => app.server.requests.filter((r) => /beta-vae-shapes/.test(r)).length;
  // The page's start and its background fetch of the digits models leave it alone.
  await page.waitForFunction(() => document.querySelector("#model-select option[value='pretrained:mlp-vae-z16']"));
  await page.locator(".factors-panel").scrollIntoViewIfNeeded();
  await page.waitForSelector(".factors-panel .use-sprites");
  assert.equal(asked(), 0, "not fetched before it is chosen");
  await page.selectOption("#model-select", "pretrained:beta-vae-shapes");
  await page.waitForSelector('.model-info[data-model="pretrained:beta-vae-shapes"][data-status="ready"]', { timeout: 60_000 });
  assert.equal(asked(), 1);
  // It reads 64×64 shapes: the page draws them and uses them, and reads the model's code.
  await page.waitForFunction(() => document.querySelector("#data-select")?.value === "generated:sprites", null, { timeout: 60_000 });
  await page.waitForFunction(() => /^MIG [\d.]+ for β-VAE|MIG [\d.]+ for Conv-VAE z=10/.test(document.querySelector(".factors-status")?.textContent ?? ""), null, { timeout: 60_000 });
  assert.equal(await page.locator(".factor-table tbody tr").count(), 10);
  const status = await page.textContent(".factors-status");
  console.log(`# ${status}`);
  assert.deepEqual(errors, []);
  await context.close();
});
