// End to end: the tool at the top of the page, read left to right (data → encoder → latent
// space → decoder → output), and its latent plane: dragging the point, the test digits' codes,
// the prior, a drawing's posterior, the layers, and the plane following a model as it trains
// (its sheet only while on screen).

import { test } from "node:test";
import assert from "node:assert/strict";
import { drawStroke, open, pixelsOf, results, startTraining, useApp, readThrough } from "./harness.mjs";

const app = useApp();

const sliderValues = (page) => page.$$eval('.sliders input[type="range"]', (inputs) => inputs.map((i) => Number(i.value)));
const box = (page, selector) => page.locator(selector).first().evaluate((e) => e.getBoundingClientRect().toJSON());

test("at desktop width the model reads left to right on one row: data, latent space, output", async () => {
  const context = await app.browser.newContext();
  const { page, errors } = await open(context, app);
  const [data, latent, output] = [await box(page, ".stage-data"), await box(page, ".stage-latent"), await box(page, ".stage-output")];
  assert.ok(data.right <= latent.left && latent.right <= output.left, "left to right");
  assert.ok(Math.abs(data.top - latent.top) < 2 && Math.abs(latent.top - output.top) < 2, "on one row");
  assert.deepEqual(await page.$$eval(".tool .flow-name", (ns) => ns.map((n) => n.textContent)), ["encoder", "decoder"]);
  assert.ok(output.bottom > 0 && latent.top < 900, "the tool starts in the first screen");
  await page.screenshot({ path: `${results}tool-desktop.png` });
  assert.deepEqual(errors, []);
  await context.close();
});

test("dragging the point on the latent plane moves z and redraws the digit", async () => {
  const context = await app.browser.newContext();
  const { page, errors } = await open(context, app);
  const plane = await box(page, ".plane-marks");
  const before = await pixelsOf(page, ".big-digit canvas.digit");
  // From the middle (z = 0) to z1 = +2, z2 = −1: a sixth of the width per unit.
  const at = (z1, z2) => [plane.left + plane.width * (0.5 + z1 / 6), plane.top + plane.height * (0.5 - z2 / 6)];
  await page.mouse.move(...at(0, 0));
  await page.mouse.down();
  await page.mouse.move(...at(1, -0.5), { steps: 4 });
  await page.mouse.move(...at(2, -1), { steps: 4 });
  await page.mouse.up();
  const [z1, z2] = await sliderValues(page);
  assert.ok(Math.abs(z1 - 2) < 0.06 && Math.abs(z2 + 1) < 0.06, `z at ${z1}, ${z2}`);
  const after = await pixelsOf(page, ".big-digit canvas.digit");
  assert.ok(before.filter((v, i) => Math.abs(v - after[i]) > 0.2).length > 30, "the decoded digit changed");
  const point = await box(page, ".plane-marks circle.point");
  const [px, py] = at(2, -1);
  assert.ok(Math.abs(point.x + point.width / 2 - px) < 3 && Math.abs(point.y + point.height / 2 - py) < 3, "the point is where it was dropped");
  // The keyboard moves it too.
  await page.focus(".plane-marks");
  for (let i = 0; i < 5; i++) await page.keyboard.press("ArrowUp");
  const [, up] = await sliderValues(page);
  assert.ok(Math.abs(up - (z2 + 0.5)) < 1e-6, `five presses of ↑ move z2 by 0.5: ${z2} → ${up}`);
  assert.deepEqual(errors, []);
  await context.close();
});

test("the plane shows the test digits and the prior, and a drawing's posterior as an ellipse", async () => {
  const context = await app.browser.newContext();
  const { page, errors } = await open(context, app);
  await page.waitForFunction(() => document.querySelector(".plane-dots").dataset.dots === "2000", null, { timeout: 60_000 });
  assert.equal(await page.locator(".plane-marks .prior circle").count(), 2);
  assert.equal(await page.locator(".plane-marks ellipse.posterior").count(), 0, "no drawing, no ellipse");
  await drawStroke(page, [[150, 40], [146, 90], [142, 150], [138, 240]]);
  await page.locator(".plane-marks ellipse.posterior").waitFor();
  // The ellipse is centred on the drawing's code, which is where the point jumped.
  const [ellipse, point] = [await box(page, ".plane-marks ellipse.posterior"), await box(page, ".plane-marks circle.point")];
  const centre = (b) => [b.x + b.width / 2, b.y + b.height / 2];
  const [[ex, ey], [px, py]] = [centre(ellipse), centre(point)];
  assert.ok(Math.abs(ex - px) < 2 && Math.abs(ey - py) < 2, `ellipse at ${ex},${ey}, point at ${px},${py}`);
  await page.locator(".stage-latent").screenshot({ path: `${results}plane-drawn.png` });

  // Layers switch off.
  await page.uncheck(".layer-codes input");
  await page.waitForFunction(() => document.querySelector(".plane-dots").dataset.dots === "0");
  await page.uncheck(".layer-prior input");
  assert.equal(await page.locator(".plane-marks .prior").isVisible(), false);
  await page.uncheck(".layer-sheet input");
  const blank = await page.locator(".plane-sheet").evaluate((c) => {
    const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    return d.every((v, i) => i % 4 !== 3 || v === 0);
  });
  assert.ok(blank, "no decoded digits behind the plane");
  assert.deepEqual(errors, []);
  await context.close();
});

test("a test digit as the input: chosen by number or at random, encoded onto the plane, reconstructed and ranked", async () => {
  const context = await app.browser.newContext();
  const { page, errors } = await open(context, app);
  const caption = () => page.textContent(".test-digit-view figcaption");
  const score = () => page.textContent(".draw-panel .score");
  // A drawing first: it is kept while a test digit is shown.
  await drawStroke(page, [[150, 40], [146, 90], [142, 150], [138, 240]]);
  await page.waitForFunction(() => /nats: (more|less) digit-like than/.test(document.querySelector(".draw-panel .score").textContent), null, { timeout: 30_000 });
  const drawnScore = await score();
  await page.click(".sources >> text=A test digit");
  assert.equal(await page.locator("canvas.pad").isVisible(), false, "the pad makes way for the digit");
  await page.waitForFunction(() => /^test digit 0, a \d$/.test(document.querySelector(".test-digit-view figcaption").textContent));
  await page.waitForFunction(() => /nats: more digit-like than \d+% of the other test digits|every other test digit/.test(document.querySelector(".draw-panel .score").textContent), null, { timeout: 30_000 });
  // Its posterior is on the plane, around the point.
  const [ellipse, point] = [await box(page, ".plane-marks ellipse.posterior"), await box(page, ".plane-marks circle.point")];
  assert.ok(Math.abs(ellipse.x + ellipse.width / 2 - (point.x + point.width / 2)) < 2, "the point is at the digit's code");
  assert.ok((await pixelsOf(page, ".reconstruction canvas.digit")).some((v) => v > 0.5), "a reconstruction is drawn");

  // By number: a wrong one is refused with a reason that a right one clears.
  await page.fill(".test-index", "5000");
  await page.press(".test-index", "Tab");
  await page.waitForFunction(() => /no test digit 5000: choose 0 to 1999/.test(document.querySelector(".test-digit .error").textContent));
  assert.match(await caption(), /^test digit 0,/, "the digit shown stays");
  await page.fill(".test-index", "7");
  await page.press(".test-index", "Tab");
  await page.waitForFunction(() => /^test digit 7, a \d$/.test(document.querySelector(".test-digit-view figcaption").textContent));
  assert.equal((await page.textContent(".test-digit .error")).trim(), "");
  await page.click(".test-digit-controls >> text=›");
  await page.waitForFunction(() => /^test digit 8,/.test(document.querySelector(".test-digit-view figcaption").textContent));
  await page.click(".test-digit .another");
  await page.waitForFunction(() => !/^test digit 8,/.test(document.querySelector(".test-digit-view figcaption").textContent));
  await page.locator(".stage-data").screenshot({ path: `${results}data-test-digit.png` });

  // Back to drawing (here by the first steps' "Draw a digit"): the drawing and its score are as they were.
  await page.click(".steps .step:nth-child(2) button");
  await page.locator("canvas.pad").waitFor({ state: "visible" });
  await page.waitForFunction((s) => document.querySelector(".draw-panel .score").textContent === s, drawnScore);
  assert.deepEqual(errors, []);
  await context.close();
});

test("while a model trains, the plane's test digits follow the newest weights, and its sheet does while on screen", async () => {
  const context = await app.browser.newContext();
  const { page, errors } = await open(context, app);
  await page.waitForFunction(() => document.querySelector(".plane-dots").dataset.dots === "2000", null, { timeout: 60_000 });
  // Long enough to be still training when the checks below are done.
  await startTraining(page, { epochs: 200 });
  // The explorer follows the run (a z = 20 model): the plane shows its z1 and z2.
  await page.waitForFunction(() => document.querySelectorAll('.sliders input[type="range"]').length === 20, null, { timeout: 60_000 });
  const passes = Number(await page.getAttribute(".plane-dots", "data-passes"));
  await page.waitForFunction((n) => Number(document.querySelector(".plane-dots").dataset.passes) >= n + 3, passes, { timeout: 60_000 });
  assert.equal(await page.getAttribute(".plane-dots", "data-dots"), "2000");
  // They are the codes each epoch's evaluation computed in the worker, not encoded again here.
  assert.match(await page.getAttribute(".plane-dots", "data-dots-from"), /^epoch \d+$/);
  await page.locator(".stage-latent").screenshot({ path: `${results}plane-training.png` });
  // On screen, the plane's sheet is decoded again for the newest weights.
  const sheetsInView = Number(await page.getAttribute(".plane", "data-sheets"));
  await page.waitForFunction((n) => Number(document.querySelector(".plane").dataset.sheets) > n, sheetsInView, { timeout: 30_000 });
  // The scatter, scrolled to during the run, places the same codes.
  await page.locator(".scatter-panel").scrollIntoViewIfNeeded();
  await page.waitForFunction(() => /^epoch \d+$/.test(document.querySelector(".scatter-panel canvas.scatter")?.dataset.codesFrom ?? ""), null, { timeout: 60_000 });
  assert.equal(await page.getAttribute(".scatter-panel canvas.scatter", "data-points"), "2000");
  // and says whose codes they are.
  await page.waitForFunction(() => /^the run's codes after epoch \d+, by /.test(document.querySelector(".scatter-panel .whose-codes")?.textContent ?? ""), null, { timeout: 30_000 });
  // Scrolled away, the plane's sheet waits for the reader (a Conv-VAE's takes the page tens of
  // milliseconds a snapshot): an epoch later none was drawn; back in view, it draws the newest.
  await page.waitForSelector('.plane[data-sheet-held="true"]', { timeout: 30_000 });
  const held = Number(await page.getAttribute(".plane", "data-sheets"));
  const epochOf = (from) => Number(/\d+/.exec(from ?? "")?.[0] ?? -1);
  const epoch = epochOf(await page.getAttribute(".scatter-panel canvas.scatter", "data-codes-from"));
  await page.waitForFunction((e) => Number(/\d+/.exec(document.querySelector(".scatter-panel canvas.scatter").dataset.codesFrom)?.[0] ?? -1) > e, epoch, { timeout: 30_000 });
  assert.equal(Number(await page.getAttribute(".plane", "data-sheets")), held);
  await page.locator(".stage-latent").scrollIntoViewIfNeeded();
  await page.waitForFunction((n) => Number(document.querySelector(".plane").dataset.sheets) > n, held, { timeout: 30_000 });
  // Paused, the page encodes the weights it shows itself again, once the plane is in view
  // (the pause button is far below it).
  await page.click(".training-buttons .pause");
  await page.locator(".stage-latent").scrollIntoViewIfNeeded();
  await page.waitForFunction(() => document.querySelector(".plane-dots").dataset.dotsFrom === "page", null, { timeout: 60_000 });
  assert.equal(await page.getAttribute(".plane-dots", "data-dots"), "2000");
  assert.deepEqual(errors, []);
  await context.close();
});

for (const width of [360, 390, 768, 1280]) {
  test(`nothing is wider than the screen at ${width} px`, async () => {
    const context = await app.browser.newContext({ viewport: { width, height: 900 } });
    const page = await context.newPage();
    await page.goto(app.server.url);
    await page.waitForSelector('.model-info[data-status="ready"]', { timeout: 60_000 });
    await readThrough(page);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than ${width} px`);
    await context.close();
  });
}

test("on a phone, no text is smaller than 12 px (charts, plane and histogram included) and the interpolation's digits are legible", async () => {
  const context = await app.browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  await page.goto(app.server.url);
  await page.waitForSelector('.model-info[data-status="ready"]', { timeout: 60_000 });
  await readThrough(page);
  await startTraining(page, { epochs: 1 });
  await page.waitForFunction(() => document.querySelector(".kl-bars-ready, .charts svg.bars rect.bar") !== null, null, { timeout: 120_000 });
  // Scrolled through, so every chapter (the anomaly histogram among them) fills.
  await page.locator(".anomaly-panel").scrollIntoViewIfNeeded();
  await page.waitForSelector("svg.histogram", { timeout: 60_000 });
  const small = await page.evaluate(() => {
    const found = [];
    for (const e of document.querySelectorAll("body *")) {
      const own = [...e.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim() !== "");
      if (!own || e.getClientRects().length === 0 || e.closest("[hidden], details:not([open]) > :not(summary)")) continue;
      let px = parseFloat(getComputedStyle(e).fontSize);
      // SVG text is scaled with its figure: what counts is its size on screen.
      const svg = e.ownerSVGElement;
      if (svg && svg.viewBox.baseVal?.width) px *= svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
      if (px < 11.95) found.push(`${e.tagName.toLowerCase()}.${e.getAttribute("class") ?? ""} "${e.textContent.trim().slice(0, 20)}" ${px.toFixed(1)} px`);
    }
    return found;
  });
  assert.deepEqual(small, []);
  const step = await box(page, ".interpolation-panel .steps canvas.digit");
  assert.ok(step.width >= 40, `an interpolation step is ${step.width.toFixed(0)} px wide`);
  await context.close();
});

test("the first five minutes: three steps that light up their part of the tool and tick when done", async () => {
  const context = await app.browser.newContext();
  const { page, errors } = await open(context, app);
  const t0 = Date.now();
  const times = {};
  const step = (n) => page.locator(".steps .step").nth(n - 1);
  assert.deepEqual(await page.$$eval(".steps .step strong", (s) => s.map((e) => e.textContent)), ["Drag the point", "Draw a digit", "Train your own"]);
  assert.match(await page.textContent(".lede"), /variational autoencoder learns to squeeze each picture into a few numbers/);
  // The model is named for people; the technical name is on hover.
  const option = page.locator('#model-select option[value="pretrained:mlp-vae-z2"]');
  assert.equal(await option.textContent(), "2-D digits map");
  assert.equal(await option.getAttribute("title"), "MLP-VAE z=2 hidden=400 (pretrained)");

  // 1. Pointing at a step lights up its part; dragging the point ticks it.
  await step(1).locator("button").hover();
  assert.equal(await page.locator(".stage-latent[data-lit]").count(), 1, "the latent space is lit");
  await page.mouse.move(5, 5);
  assert.equal(await page.locator("[data-lit]").count(), 0);
  await step(1).locator("button").click();
  const plane = await box(page, ".plane-marks");
  const before = await pixelsOf(page, ".big-digit canvas.digit");
  await page.mouse.move(plane.left + plane.width / 2, plane.top + plane.height / 2);
  await page.mouse.down();
  await page.mouse.move(plane.left + plane.width * 0.8, plane.top + plane.height * 0.3, { steps: 6 });
  await page.mouse.up();
  await page.waitForFunction(() => document.querySelectorAll(".steps .step")[0].dataset.done === "true");
  const after = await pixelsOf(page, ".big-digit canvas.digit");
  assert.ok(before.filter((v, i) => Math.abs(v - after[i]) > 0.2).length > 30, "the digit changed");
  times.drag = Date.now() - t0;

  // 2. The drawing step brings the pad into view; a drawing ticks it and lands on the plane.
  await step(2).locator("button").click();
  assert.equal(await page.locator(".stage-data[data-lit]").count(), 1);
  await drawStroke(page, [[150, 40], [146, 90], [142, 150], [138, 240]]);
  await page.waitForFunction(() => /nats/.test(document.querySelector(".score").textContent));
  await page.locator(".plane-marks ellipse.posterior").waitFor();
  await page.waitForFunction(() => document.querySelectorAll(".steps .step")[1].dataset.done === "true");
  times.draw = Date.now() - t0;

  // 3. Training from the strip, which stays in view: the strip, the plane and the digit move together.
  await step(3).locator("button").click();
  await page.waitForSelector(".training-strip .strip-start:not([disabled])", { timeout: 60_000 });
  await page.click(".training-strip .strip-start");
  await page.waitForFunction(() => document.querySelectorAll(".steps .step")[2].dataset.done === "true");
  await page.waitForFunction(() => /training · epoch 1 of 10 · step \d+/.test(document.querySelector(".strip-where").textContent), null, { timeout: 60_000 });
  const passes = Number(await page.getAttribute(".plane-dots", "data-passes"));
  await page.waitForFunction((n) => Number(document.querySelector(".plane-dots").dataset.passes) >= n + 2, passes, { timeout: 60_000 });
  await page.waitForFunction(() => (document.querySelector(".sparkline path").getAttribute("d") ?? "").length > 20);
  // Scrolled down to the chapters, the strip is still on screen.
  await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
  const strip = await box(page, ".training-strip");
  assert.ok(strip.top >= 0 && strip.top < 5, `the strip stays at the top (${strip.top})`);
  await page.click(".training-strip .strip-pause");
  await page.waitForFunction(() => document.querySelector(".training-strip").dataset.state === "paused");
  times.train = Date.now() - t0;
  console.log(`first five minutes (ms from page ready): dragged ${times.drag}, drew ${times.draw}, trained and paused ${times.train}`);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `${results}journey.png` });
  assert.deepEqual(errors, []);
  await context.close();
});

test("Copy link puts the view on screen on the clipboard, and says what a link can carry", async () => {
  const context = await app.browser.newContext();
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  const { page, errors } = await open(context, app);
  await page.locator("#z-1").fill("1.25");
  await page.click(".copy-link");
  await page.waitForFunction(() => /Link copied/.test(document.querySelector(".link-status").textContent));
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  assert.match(copied, /^http:\/\/127\.0\.0\.1:\d+\/#model=pretrained:mlp-vae-z2&z=1\.25,0\.00$/);
  assert.match(await page.textContent(".link-note"), /opens this model at this point, in any browser/);
  assert.deepEqual(errors, []);
  await context.close();
});

test("a file dropped far down the page is answered where the person is", async () => {
  const context = await app.browser.newContext();
  const { page, errors } = await open(context, app);
  await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
  const bytes = [...(await import("node:fs")).readFileSync(new URL("../../assets/pretrained/mlp-vae-z16.safetensors", import.meta.url))];
  await page.evaluate((data) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([new Uint8Array(data)], "far-down.safetensors"));
    document.body.dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }, bytes);
  await page.waitForSelector('.toast[data-shown="true"]');
  assert.match(await page.textContent(".toast"), /far-down\.safetensors/);
  const toast = await box(page, ".toast");
  assert.ok(toast.top >= 0 && toast.bottom <= 900, `the notice is on screen (${toast.top}–${toast.bottom})`);
  assert.deepEqual(errors, []);
  await context.close();
});

test("the developer read-outs are together under About this page", async () => {
  const context = await app.browser.newContext();
  const { page, errors } = await open(context, app);
  await page.waitForFunction(() => /decoded to its digit in \d/.test(document.querySelector(".about").textContent));
  await page.waitForFunction(() => /WebAssembly memory: page \d/.test(document.querySelector(".about").textContent), null, { timeout: 30_000 });
  assert.equal(await page.locator(".stage-output .timing").count(), 0, "no timing beside the digit");
  assert.deepEqual(errors, []);
  await context.close();
});
