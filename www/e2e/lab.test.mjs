// End to end: the lab's panels about uses of a VAE (anomaly detection, sharing is in
// page.test.mjs). Run by tools/test after `trunk build --release`.

import { test } from "node:test";
import assert from "node:assert/strict";
import { open, results, useApp } from "./harness.mjs";

const app = useApp();

test("pure noise is scored as more unusual than a test digit, each marked on the test digits' histogram", async () => {
  const context = await app.browser.newContext();
  const { page, errors } = await open(context, app);
  await page.waitForSelector(".anomaly-panel .score-probes:not([disabled])", { timeout: 60_000 });
  await page.click(".anomaly-panel .score-probes");
  await page.waitForSelector(".anomaly-panel figure.probe[data-mark=D]", { timeout: 60_000 });
  const ranks = Object.fromEntries(
    await page.$$eval(".anomaly-panel figure.probe", (figs) => figs.map((f) => [f.dataset.mark, Number(f.dataset.rank)])),
  );
  console.log(`anomaly percentiles (MLP-VAE z=2): test digit ${ranks.A}, with noise ${ranks.B}, turned ${ranks.C}, pure noise ${ranks.D}`);
  assert.ok(ranks.D > ranks.A, `pure noise ${ranks.D} above the test digit ${ranks.A}`);
  assert.ok(ranks.D > 99, `pure noise is beyond nearly every test digit (${ranks.D})`);
  assert.equal(await page.locator(".anomaly-panel rect.bin").count(), 40);
  assert.equal(await page.locator(".anomaly-panel .mark").count(), 4);
  await page.locator(".anomaly-panel").screenshot({ path: `${results}anomaly.png` });
  assert.deepEqual(errors, []);
  await context.close();
});
