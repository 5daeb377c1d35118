// End to end: the lab's panels (anomaly score, restoration, latent scatter, β and active units;
// sharing by link is in page.test.mjs). Run by tools/test after `trunk build --release`.

import { test } from "node:test";
import assert from "node:assert/strict";
import { open, results, startTraining, useApp, readThrough } from "./harness.mjs";

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

test("restoring a damaged digit lowers its error against the original", async () => {
  const context = await app.browser.newContext();
  const { page, errors } = await open(context, app);
  // The 16-dimensional model: the 2-D one reconstructs too coarsely to restore much.
  await page.selectOption("#model-select", "pretrained:mlp-vae-z16");
  await page.waitForSelector('.model-info[data-model="pretrained:mlp-vae-z16"][data-status="ready"]');
  const panel = page.locator(".restore-panel");
  // The chapter restores once it has been on screen, as a reader scrolling to it sees it.
  await panel.scrollIntoViewIfNeeded();
  const errorsNow = () =>
    panel.locator(".restore-verdict").evaluate((p) => [Number(p.dataset.damaged), Number(p.dataset.restored)]);
  await page.waitForFunction(() => document.querySelector(".restore-verdict")?.dataset.damaged, null, { timeout: 60_000 });
  const [patchDamaged, patchRestored] = await errorsNow();
  assert.ok(patchRestored < patchDamaged, `patch: restored ${patchRestored} below damaged ${patchDamaged}`);
  await panel.locator(".damage-noise").click();
  await page.waitForFunction((before) => Number(document.querySelector(".restore-verdict").dataset.damaged) !== before, patchDamaged);
  const [noiseDamaged, noiseRestored] = await errorsNow();
  console.log(`restore (MLP-VAE z=16), mean squared error against the original: patch ${patchDamaged.toFixed(4)} → ${patchRestored.toFixed(4)}; noise ${noiseDamaged.toFixed(4)} → ${noiseRestored.toFixed(4)}`);
  assert.ok(noiseRestored < noiseDamaged, `noise: restored ${noiseRestored} below damaged ${noiseDamaged}`);
  await panel.screenshot({ path: `${results}restore.png` });
  assert.deepEqual(errors, []);
  await context.close();
});

test("the latent scatter plots all 2,000 test digits, shows one on hover and puts the sliders on its code on click", async () => {
  const context = await app.browser.newContext();
  const { page, errors } = await open(context, app);
  const panel = page.locator(".scatter-panel");
  await page.waitForSelector(".scatter-panel .encode-test:not([disabled])", { timeout: 60_000 });
  await panel.locator(".encode-test").click();
  await page.waitForSelector('.scatter-panel canvas.scatter[data-points="2000"]', { timeout: 60_000 });
  // Colour is not all that tells the classes apart: every digit's name is written among its dots.
  assert.equal(await panel.locator("canvas.scatter").getAttribute("data-named-classes"), "10");
  // The pretrained two-dimensional VAE keeps the ten digits apart far better than chance (10%):
  // 68% of the first 500 have a nearest code of their own digit.
  assert.match(await page.textContent(".scatter-panel .agreement"), /^Of the first 500 test digits, \d+% have their nearest code \(in the plane drawn\) in their own class; by chance, 10%\.$/);
  const share = Number(await page.getAttribute(".scatter-panel .agreement", "data-share"));
  assert.ok(share > 0.5, `nearest-neighbour agreement ${share}`);
  // Find a drawn dot by its colour and hover, then click it.
  const spot = await panel.locator("canvas.scatter").evaluate((c) => {
    const data = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    for (let y = c.height / 2 - 60; y < c.height / 2 + 60; y++)
      for (let x = c.width / 2 - 60; x < c.width / 2 + 60; x++)
        if (data[(y * c.width + x) * 4 + 3] > 150) return [x / c.width, y / c.height];
    return null;
  });
  assert.ok(spot, "a dot near the middle");
  const before = await page.$$eval('.sliders input[type="range"]', (inputs) => inputs.map((i) => Number(i.value)));
  // Hover and click through the locator, which scrolls the canvas into view and measures it at
  // that moment: a box measured earlier goes stale when the page above it changes height, and a
  // point outside the viewport reaches no element (CI saw that once).
  const scatter = panel.locator("canvas.scatter");
  const at = async () => {
    const box = await scatter.boundingBox();
    return { x: spot[0] * box.width, y: spot[1] * box.height };
  };
  await scatter.hover({ position: await at() });
  await page.waitForFunction(() => /test digit \d+, a \d/.test(document.querySelector(".scatter-panel").textContent));
  await scatter.click({ position: await at() });
  await page.waitForFunction((b) => {
    const now = [...document.querySelectorAll('.sliders input[type="range"]')].map((i) => Number(i.value));
    return now.some((v, i) => Math.abs(v - b[i]) > 0.01);
  }, before);
  await panel.screenshot({ path: `${results}scatter.png` });
  assert.deepEqual(errors, []);
  await context.close();
});

test("raising β switches latent dimensions off: fewer active units after the same short run", async () => {
  const context = await app.browser.newContext();
  const { page, errors } = await open(context, app);
  const activeAfterOneEpoch = async (beta) => {
    await page.fill(".field.beta input", String(beta));
    await page.press(".field.beta input", "Tab");
    await startTraining(page, { epochs: 1 });
    await page.waitForFunction(() => document.querySelector(".progress-text").dataset.state === "finished", null, { timeout: 120_000 });
    await page.waitForFunction(() => /dimensions active/.test(document.querySelector(".training-panel").textContent));
    const text = await page.locator(".training-panel figcaption", { hasText: "dimensions active" }).textContent();
    return Number(/(\d+) of 20 dimensions active/.exec(text)[1]);
  };
  const atOne = await activeAfterOneEpoch(1);
  const atTen = await activeAfterOneEpoch(10);
  console.log(`active units of 20 after one epoch: β = 1 → ${atOne}, β = 10 → ${atTen}`);
  assert.ok(atTen < atOne, `β 10 leaves fewer active units (${atTen}) than β 1 (${atOne})`);
  assert.deepEqual(errors, []);
  await context.close();
});

test("the autoencoder and the VAEs are compared on the same digits, with test numbers for each model", async () => {
  const context = await app.browser.newContext();
  const { page, errors } = await open(context, app);
  await page.waitForSelector(".compare-panel .compare-models:not([disabled])", { timeout: 60_000 });
  await page.click(".compare-panel .compare-models");
  await page.waitForFunction(() => document.querySelectorAll(".compare-table tbody tr").length === 4 && !document.querySelector(".compare-models").disabled, null, { timeout: 120_000 });
  const table = await page.$$eval(".compare-table tbody tr", (rows) =>
    rows.map((r) => ({ model: r.dataset.model, recon: Number(r.querySelector(".recon").textContent), kl: r.querySelector(".kl").textContent, elbo: r.querySelector(".elbo").textContent })),
  );
  console.log(table.map((r) => `compare: ${r.model} recon ${r.recon} · KL ${r.kl} · −ELBO ${r.elbo}`).join("\n"));
  for (const row of table) assert.ok(Number.isFinite(row.recon) && row.recon > 0, `${row.model}: ${row.recon}`);
  const vaes = table.filter((r) => !r.model.includes("ae-z16") || r.model.includes("vae"));
  for (const row of vaes) assert.ok(Number.isFinite(Number(row.elbo)), `${row.model} has a −ELBO`);
  assert.equal(await page.locator(".compare-row").count(), 4);
  assert.equal(await page.locator(".compare-row canvas.digit").count(), 4 * (6 + 6 + 8));
  await page.locator(".compare-panel").screenshot({ path: `${results}compare.png` });
  assert.deepEqual(errors, []);
  await context.close();
});

test("an uploaded picture is scaled to 28×28, inverted when dark on light, and scored with the others", async () => {
  const context = await app.browser.newContext();
  const { page, errors } = await open(context, app);
  await page.waitForSelector(".anomaly-panel .score-probes:not([disabled])", { timeout: 60_000 });
  // A "1" drawn dark on light, at 200×200: the page must shrink and invert it.
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="200" height="200"><rect width="200" height="200" fill="white"/><path d="M105 30 L95 170" stroke="black" stroke-width="22" stroke-linecap="round"/></svg>`;
  await page.setInputFiles(".anomaly-panel .probe-image", { name: "one.svg", mimeType: "image/svg+xml", buffer: Buffer.from(svg) });
  await page.waitForSelector(".anomaly-panel figure.probe[data-mark=F]", { timeout: 60_000 });
  const ink = await page.locator(".anomaly-panel figure.probe[data-mark=F] canvas.digit").evaluate((c) => {
    const d = c.getContext("2d").getImageData(0, 0, 28, 28).data;
    let dark = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] < 128) dark++;
    return dark;
  });
  assert.ok(ink > 15 && ink < 200, `a bar of ink, not a filled square (${ink} pixels)`);
  const ranks = Object.fromEntries(await page.$$eval(".anomaly-panel figure.probe", (fs) => fs.map((f) => [f.dataset.mark, Number(f.dataset.rank)])));
  console.log(`anomaly percentile of an uploaded "1": ${ranks.F} (pure noise ${ranks.D})`);
  assert.ok(ranks.F < ranks.D, "the uploaded digit is less unusual than pure noise");

  await page.setInputFiles(".anomaly-panel .probe-image", { name: "broken.png", mimeType: "image/png", buffer: Buffer.from("not a picture") });
  await page.waitForFunction(() => /could not be read as an image/.test(document.querySelector(".anomaly-panel").textContent));
  assert.deepEqual(errors, []);
  await context.close();
});

test("an uploaded picture is read like a drawing, and adding it keeps the test digit it is compared with", async () => {
  const context = await app.browser.newContext();
  const { page, errors } = await open(context, app);
  await page.waitForSelector(".anomaly-panel .score-probes:not([disabled])", { timeout: 60_000 });
  await page.click(".anomaly-panel .score-probes");
  await page.waitForSelector(".anomaly-panel figure.probe[data-mark=A]", { timeout: 60_000 });
  const caption = (mark) => page.textContent(`.anomaly-panel figure.probe[data-mark=${mark}] figcaption`);
  const [a, b] = [await caption("A"), await caption("B")];
  // A clean "7", dark on light, 200×300: squashed whole into 28×28 it was a thin off-centre
  // stroke, scored beyond 99% of the test digits.
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="200" height="300"><rect width="200" height="300" fill="white"/><path d="M40 60 L160 60 L85 250" fill="none" stroke="black" stroke-width="24" stroke-linecap="round" stroke-linejoin="round"/></svg>`;
  await page.setInputFiles(".anomaly-panel .probe-image", { name: "seven.svg", mimeType: "image/svg+xml", buffer: Buffer.from(svg) });
  await page.waitForSelector(".anomaly-panel figure.probe[data-mark=F]", { timeout: 60_000 });
  assert.equal(await caption("A"), a, "the same test digit, with the same score");
  assert.equal(await caption("B"), b, "and the same noisy copy");
  const rank = Number(await page.getAttribute(".anomaly-panel figure.probe[data-mark=F]", "data-rank"));
  console.log(`anomaly percentile of a clean uploaded "7" (MLP-VAE z=2): ${rank}`);
  assert.ok(rank < 95, `a clean 7 is an ordinary digit, not an anomaly (percentile ${rank})`);
  // Its ink fills a 20-pixel box in the middle, as a drawing's does.
  const box = await page.locator(".anomaly-panel figure.probe[data-mark=F] canvas.digit").evaluate((c) => {
    const d = c.getContext("2d").getImageData(0, 0, 28, 28).data;
    const rows = [];
    for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) if (d[(y * 28 + x) * 4] < 200) rows.push(y);
    return Math.max(...rows) - Math.min(...rows) + 1;
  });
  assert.ok(box >= 19 && box <= 21, `the stroke is scaled to 20 pixels high (${box})`);

  const blank = `<svg xmlns="http://www.w3.org/2000/svg" width="50" height="50"><rect width="50" height="50" fill="white"/></svg>`;
  await page.setInputFiles(".anomaly-panel .probe-image", { name: "blank.svg", mimeType: "image/svg+xml", buffer: Buffer.from(blank) });
  await page.waitForFunction(() => /blank\.svg” looks blank/.test(document.querySelector(".anomaly-panel").textContent));
  assert.deepEqual(errors, []);
  await context.close();
});

test("the comparison table fits a phone's screen", async () => {
  const context = await app.browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  await page.goto(app.server.url);
  await readThrough(page);
  await page.waitForSelector(".compare-panel .compare-models:not([disabled])", { timeout: 60_000 });
  await page.click(".compare-panel .compare-models");
  await page.waitForFunction(() => document.querySelectorAll(".compare-table tbody tr").length >= 4, null, { timeout: 120_000 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the phone`);
  const right = await page.$$eval(".compare-table td.elbo", (cells) => Math.max(...cells.map((c) => c.getBoundingClientRect().right)));
  assert.ok(right <= 390, `the −ELBO column ends at ${right}px, on screen`);
  await page.locator(".compare-panel").screenshot({ path: `${results}compare-phone.png` });
  await context.close();
});

test("each chapter fills itself when it scrolls into view, and again for another model", async () => {
  const context = await app.browser.newContext();
  const { page, errors } = await open(context, app);
  const t0 = Date.now();
  for (const [chapter, filled] of [
    [".compare-panel", () => document.querySelectorAll(".compare-table tbody tr").length >= 4],
    [".scatter-panel", () => document.querySelector("canvas.scatter").dataset.points === "2000"],
    [".anomaly-panel", () => document.querySelectorAll(".anomaly-panel figure.probe").length >= 4],
  ]) {
    await page.locator(chapter).scrollIntoViewIfNeeded();
    await page.waitForFunction(filled, null, { timeout: 120_000 });
    console.log(`${chapter} filled ${Date.now() - t0} ms after the page was ready`);
  }
  // Another model: the chapter in view follows it, no button pressed.
  await page.selectOption("#model-select", "pretrained:mlp-vae-z16");
  await page.waitForFunction(() => /16-D|z=16/.test(document.querySelector(".anomaly-panel .timing").textContent), null, { timeout: 60_000 });
  assert.deepEqual(errors, []);
  await context.close();
});
