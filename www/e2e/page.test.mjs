// End to end: the trunk-built app (dist/) in headless Chromium, driven like a person would:
// pointer drags on sliders and the drawing pad, clicks on the manifold.
// Run by tools/test after `trunk build --release`; screenshots go to www/test-results/.

import { test } from "node:test";
import assert from "node:assert/strict";
import { drawStroke, pixelsOf, results, useApp, readThrough } from "./harness.mjs";

const app = useApp();

/** Opens the app, waits for the default model, and records requests to other origins. */
async function open(viewport = { width: 1280, height: 900 }) {
  const page = await app.browser.newPage({ viewport });
  const foreign = [];
  const errors = [];
  page.on("request", (r) => {
    const url = r.url();
    if (!url.startsWith(app.server.url) && !url.startsWith("data:") && !url.startsWith("blob:")) foreign.push(url);
  });
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(app.server.url);
  await page.waitForSelector('.model-info[data-status="ready"]', { timeout: 60_000 });
  await readThrough(page);
  return { page, foreign, errors };
}


const inked = (pixels) => pixels.filter((v) => v > 0.5).length;

function correlation(a, b) {
  const mean = (v) => v.reduce((s, x) => s + x, 0) / v.length;
  const [ma, mb] = [mean(a), mean(b)];
  let [sab, saa, sbb] = [0, 0, 0];
  for (let i = 0; i < a.length; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

const sliderValues = (page) =>
  page.$$eval('.sliders input[type="range"]', (inputs) => inputs.map((i) => Number(i.value)));

test("the page opens with the pretrained model and shows a decoded digit", async () => {
  const { page, foreign, errors } = await open();
  assert.match(await page.textContent(".model-info"), /MLP-VAE z=2/);
  const ink = inked(await pixelsOf(page, ".big-digit canvas.digit"));
  // A digit covers roughly 5–50 % of the 784 pixels; a blank or all-black canvas fails.
  assert.ok(ink > 40 && ink < 400, `inked pixels: ${ink}`);
  assert.equal((await sliderValues(page)).length, 2, "one slider per latent dimension");
  assert.equal(await page.locator(".strip .steps canvas").count(), 10);
  await page.screenshot({ path: `${results}page-loaded.png`, fullPage: true });
  assert.deepEqual(errors, []);
  assert.deepEqual(foreign, [], "the app requests nothing from other origins");
  await page.close();
});

test("the header painted before the code arrives reads as the app's and gives way to it", async () => {
  // Which header every frame would paint, from the first: the app builds its own a task after
  // it mounts and takes the boot copy out in that task, so no frame has neither or both.
  const framesPage = await app.browser.newPage({ viewport: { width: 1280, height: 900 } });
  await framesPage.addInitScript(() => {
    window.__headers = [];
    const look = () => {
      const headers = [...document.querySelectorAll("header.top")];
      window.__headers.push(headers.map((h) => (h.classList.contains("boot") ? "boot" : "app")).join("+") || "none");
      if (window.__headers.length < 2000) requestAnimationFrame(look);
    };
    requestAnimationFrame(look);
  });
  await framesPage.goto(app.server.url);
  await framesPage.waitForSelector('.model-info[data-status="ready"]', { timeout: 60_000 });
  // (Frames before the document's body was parsed show nothing yet.)
  const seen = await framesPage.evaluate(() => window.__headers);
  const frames = [...new Set(seen.slice(Math.max(0, seen.indexOf("boot"))))];
  assert.deepEqual(frames, ["boot", "app"], `the headers frame by frame: ${frames.join(", ")}`);
  await framesPage.close();
  const { page } = await open();
  const html = await (await fetch(app.server.url)).text();
  const boot = /<header class="top boot">[\s\S]*?<p class="lede">([\s\S]*?)<\/p>/.exec(html);
  assert.ok(boot, "index.html paints a header with the lede");
  const text = (markup) => markup.replace(/<[^>]+>/g, "").replace(/\s+/g, " ").trim();
  assert.equal(text(boot[1]), text(await page.innerHTML(".first-steps .lede")));
  assert.equal(await page.locator("header.boot").count(), 0, "the app replaced it");
  assert.equal(await page.locator("header.top").count(), 1);
  await page.close();
});

test("dragging a slider changes the decoded digit", async () => {
  const { page } = await open();
  const before = await pixelsOf(page, ".big-digit canvas.digit");
  const slider = page.locator("#z-1");
  await slider.scrollIntoViewIfNeeded();
  const box = await slider.boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.95, box.y + box.height / 2, { steps: 12 });
  await page.mouse.up();
  const [z1] = await sliderValues(page);
  assert.ok(z1 > 2, `z1 moved to ${z1}`);
  const after = await pixelsOf(page, ".big-digit canvas.digit");
  const changed = before.filter((v, i) => Math.abs(v - after[i]) > 0.2).length;
  assert.ok(changed > 30, `${changed} pixels changed`);
  await page.close();
});

test("the keyboard moves a slider in steps a person can feel", async () => {
  const { page } = await open();
  await page.focus("#z-2");
  for (let i = 0; i < 10; i++) await page.keyboard.press("ArrowLeft");
  let [, z2] = await sliderValues(page);
  assert.ok(Math.abs(z2 + 1) < 1e-6, `ten presses of an arrow key move 1.0: z2 is ${z2}`);
  await page.keyboard.press("PageUp");
  await page.keyboard.press("PageUp");
  [, z2] = await sliderValues(page);
  assert.ok(Math.abs(z2 - 1) < 1e-6, `Page Up moves 1.0: z2 is ${z2}`);
  await page.keyboard.press("Home");
  [, z2] = await sliderValues(page);
  assert.equal(z2, -3, "Home goes to the end of the range");
  await page.close();
});

test("clicking a manifold cell sets the sliders to that cell's coordinates", async () => {
  const { page } = await open();
  await page.waitForFunction(() => document.querySelector("canvas.manifold").width === 420);
  await page.locator("canvas.manifold").scrollIntoViewIfNeeded();
  const box = await page.locator("canvas.manifold").boundingBox();
  // Top-left cell of 15×15: z1 = Φ⁻¹(0.5/15) ≈ −1.834 (left), z2 = +1.834 (top).
  await page.mouse.click(box.x + box.width / 30, box.y + box.height / 30);
  const [z1, z2] = await sliderValues(page);
  assert.ok(Math.abs(z1 + 1.83) < 0.01 && Math.abs(z2 - 1.83) < 0.01, `sliders at ${z1}, ${z2}`);
  await page.close();
});

// Strokes in pad pixels: a "1" is a near-vertical bar, a "0" an ellipse.
const ONE = [[150, 40], [146, 90], [142, 150], [138, 240]];
const ZERO = Array.from({ length: 41 }, (_, i) => {
  const t = (i / 40) * 2 * Math.PI;
  return [140 + 70 * Math.sin(t), 140 - 100 * Math.cos(t)];
});

for (const [name, stroke] of [["1", ONE], ["0", ZERO]]) {
  test(`drawing a "${name}" reconstructs something like it and moves the sliders`, async () => {
    const { page, errors } = await open();
    await drawStroke(page, stroke);
    await page.waitForFunction(() => /nats/.test(document.querySelector(".score").textContent));
    const drawn = await pixelsOf(page, ".drawn canvas.digit");
    const recon = await pixelsOf(page, ".reconstruction canvas.digit");
    // Even the 2-D model reconstructs these shapes closely: a "1" against a "0" correlates
    // below 0.1, a reconstruction of the right digit above 0.6 (measured 0.7–0.9).
    const r = correlation(drawn, recon);
    assert.ok(r > 0.6, `correlation of drawing and reconstruction: ${r.toFixed(3)}`);
    const z = await sliderValues(page);
    assert.ok(z.some((v) => Math.abs(v) > 0.05), `sliders moved to ${z}`);
    assert.match(await page.textContent(".slider .sigma-text"), /σ \d/);
    assert.match(await page.textContent(".score"), /−ELBO \d+\.\d nats/);
    await page.locator(".draw-panel").screenshot({ path: `${results}drawn-${name}.png` });
    assert.deepEqual(errors, []);
    await page.close();
  });
}

test("a model with the same weights, loaded while a drawing is shown, puts the sliders at its code", async () => {
  const { page, errors } = await open();
  await drawStroke(page, ONE);
  await page.waitForFunction(() => /nats/.test(document.querySelector(".score").textContent));
  const drawnAt = await sliderValues(page);
  assert.ok(drawnAt.some((v) => Math.abs(v) > 0.05), `sliders moved to ${drawnAt}`);
  const digit = await pixelsOf(page, ".big-digit canvas.digit");
  // The default model's own file: loading it resets the sliders to the origin, and the
  // drawing's analysis is the same as before, so only the model's change can move them back.
  await page.setInputFiles("#model-file", new URL("../../assets/pretrained/mlp-vae-z2.safetensors", import.meta.url).pathname);
  await page.waitForSelector('.model-info[data-model^="stored:file-"][data-status="ready"]');
  await page.waitForFunction(() => /^Loaded /.test(document.querySelector(".library-message").textContent));
  assert.deepEqual(await sliderValues(page), drawnAt);
  assert.deepEqual(await pixelsOf(page, ".big-digit canvas.digit"), digit);
  assert.deepEqual(errors, []);
  await page.close();
});

test("undo and clear empty the pad and the drawing", async () => {
  const { page } = await open();
  await drawStroke(page, ONE);
  await page.waitForFunction(() => /nats/.test(document.querySelector(".score").textContent));
  await page.click("text=Undo");
  assert.equal(inked(await pixelsOf(page, ".drawn canvas.digit")), 0);
  assert.match(await page.textContent(".score"), /Draw a digit/);
  await page.close();
});

test("switching models rebuilds the sliders", async () => {
  const { page } = await open();
  await page.selectOption("#model-select", "pretrained:mlp-vae-z16");
  await page.waitForFunction(() => document.querySelectorAll('.sliders input[type="range"]').length === 16);
  await page.waitForSelector('.model-info[data-model="pretrained:mlp-vae-z16"]');
  // At z = 0 a 16-dimensional model draws a faint average digit: some ink, not none.
  const grey = (await pixelsOf(page, ".big-digit canvas.digit")).reduce((s, v) => s + v, 0);
  assert.ok(grey > 20 && grey < 400, `total ink: ${grey}`);
  await page.selectOption("#model-select", "pretrained:conv-vae-z16");
  await page.waitForSelector('.model-info[data-model="pretrained:conv-vae-z16"]');
  await page.screenshot({ path: `${results}conv-vae.png`, fullPage: true });
  await page.close();
});

const sheetsDrawn = (page) => page.getAttribute("canvas.manifold", "data-sheets").then(Number);
const waitForSheet = (page, after) =>
  page.waitForFunction((n) => Number(document.querySelector("canvas.manifold").dataset.sheets) > n, after, { timeout: 30_000 });

test("the manifold's axes swap rather than repeat, and a new model redraws the sheet", async () => {
  const { page, errors } = await open();
  // A sheet is drawn once its canvas is near the screen.
  await page.locator("canvas.manifold").scrollIntoViewIfNeeded();
  await waitForSheet(page, 0);
  const before = await sheetsDrawn(page);
  // Across z2 while down is z2 already: the two swap, and a new sheet is drawn.
  await page.selectOption(".manifold-panel .dim-x", "1");
  await waitForSheet(page, before);
  assert.equal(await page.inputValue(".manifold-panel .dim-x"), "1");
  assert.equal(await page.inputValue(".manifold-panel .dim-y"), "0");
  // A click sets both dimensions: the top-left cell is z2 = −1.83 (across), z1 = +1.83 (down).
  await page.locator("canvas.manifold").scrollIntoViewIfNeeded();
  const box = await page.locator("canvas.manifold").boundingBox();
  await page.mouse.click(box.x + box.width / 30, box.y + box.height / 30);
  const [z1, z2] = await sliderValues(page);
  assert.ok(Math.abs(z2 + 1.83) < 0.01 && Math.abs(z1 - 1.83) < 0.01, `sliders at ${z1}, ${z2}`);
  // Another model: the sheet and its caption are its own.
  const old = await pixelsOf(page, "canvas.manifold");
  const sheets = await sheetsDrawn(page);
  await page.selectOption("#model-select", "pretrained:mlp-vae-z16");
  await page.waitForSelector('.model-info[data-model="pretrained:mlp-vae-z16"]');
  // Chosen in the header, far above: the sheet waits for the reader to come back to it.
  await page.locator("canvas.manifold").scrollIntoViewIfNeeded();
  await waitForSheet(page, sheets);
  const now = await pixelsOf(page, "canvas.manifold");
  assert.ok(old.some((v, i) => Math.abs(v - now[i]) > 0.2), "the sheet was redrawn for the new model");
  assert.match(await page.textContent(".about"), /manifold's 15×15 sheet decoded in/);
  assert.deepEqual(errors, []);
  await page.close();
});

test("an interpolation that cannot be drawn says why", async () => {
  const { page, errors } = await open();
  await page.waitForFunction(() => !document.querySelector(".interpolation-panel .error").textContent.includes("unavailable"));
  await page.fill(".interpolation-panel .from-index", "5000");
  await page.press(".interpolation-panel .from-index", "Tab");
  await page.waitForFunction(() => /no test digit 5000 to start from: choose 0 to 1999/.test(document.querySelector(".interpolation-panel .error").textContent));
  await page.fill(".interpolation-panel .from-index", "3");
  await page.press(".interpolation-panel .from-index", "Tab");
  await page.waitForFunction(() => document.querySelector(".interpolation-panel .error").textContent.trim() === "");
  // From a drawing that is then cleared.
  await drawStroke(page, ONE);
  await page.waitForFunction(() => /nats/.test(document.querySelector(".score").textContent));
  await page.click(".interpolation-panel >> text=from my drawing");
  await page.click(".draw-panel >> text=Clear");
  await page.waitForFunction(() => /drawing was cleared/.test(document.querySelector(".interpolation-panel .error").textContent));
  assert.deepEqual(errors, []);
  await page.close();
});

test("wandering visits the prior, not just its centre", async () => {
  const { page } = await open();
  // Sixteen dimensions, so a few seconds give many independent readings.
  await page.selectOption("#model-select", "pretrained:mlp-vae-z16");
  await page.waitForFunction(() => document.querySelectorAll('.sliders input[type="range"]').length === 16);
  await page.click(".latent-panel >> text=Wander");
  const readings = [];
  const end = Date.now() + 8_000;
  while (Date.now() < end) {
    readings.push(...(await sliderValues(page)));
    await page.waitForTimeout(200); // a sampling interval, not a wait for a state
  }
  await page.click(".latent-panel >> text=Stop wandering");
  const rms = Math.sqrt(readings.reduce((s, v) => s + v * v, 0) / readings.length);
  console.log(`wander: root mean square of z over 8 s: ${rms.toFixed(2)} (the prior's is 1)`);
  assert.ok(rms > 0.6, `the walk stays near the centre: RMS ${rms.toFixed(2)}`);
  await page.close();
});

test("on a phone, what a drawing becomes is in view beside the pad", async () => {
  const { page } = await open({ width: 390, height: 844 });
  // A person who has scrolled to the draw panel: its heading at the top of the screen.
  await page.evaluate(() => window.scrollTo(0, document.querySelector("#data-title").getBoundingClientRect().top + window.scrollY));
  await drawStroke(page, ONE);
  await page.waitForFunction(() => /nats/.test(document.querySelector(".score").textContent));
  for (const selector of [".reconstruction canvas.digit", ".score"]) {
    const bottom = await page.locator(selector).evaluate((e) => e.getBoundingClientRect().bottom);
    assert.ok(bottom <= 844, `${selector} ends at ${Math.round(bottom)}px, below the 844px screen`);
  }
  await page.screenshot({ path: `${results}phone-drawn.png` });
  await page.close();
});

test("the layout fits a phone's width", async () => {
  const { page } = await open({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
  await page.screenshot({ path: `${results}phone.png`, fullPage: true });
  await page.close();
});

test("a link pasted just as the page rewrites its own link is still followed", async () => {
  const page = await app.browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(app.server.url);
  await page.waitForSelector('.model-info[data-model="pretrained:mlp-vae-z2"][data-status="ready"]', { timeout: 60_000 });
  // Moving a slider has the page rewrite its link a quarter of a second later. The page is held
  // past that moment with the link's pasting queued first, so it runs, then the rewrite, then
  // the link's `hashchange`: the rewrite must not put the page's own link back over the link.
  await page.locator("#z-1").fill("1.5");
  await page.evaluate(() => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      location.hash = `#model=pretrained:mlp-vae-z16&z=${Array(16).fill("0.50").join(",")}`;
    };
    channel.port2.postMessage(null);
    const until = performance.now() + 400;
    while (performance.now() < until) { /* hold the page's thread */ }
  });
  await page.waitForSelector('.model-info[data-model="pretrained:mlp-vae-z16"][data-status="ready"]', { timeout: 60_000 });
  await page.waitForFunction(() => Number(document.querySelector("#z-16").value) === 0.5);
  await page.waitForFunction(() => location.hash.startsWith("#model=pretrained:mlp-vae-z16&z=0.50,"));
  await page.close();
});

test("a shared link reopens the same model and latent vector, and the link follows the sliders", async () => {
  const z = Array.from({ length: 16 }, (_, i) => ((i % 5) - 2) * 0.6);
  const hash = `#model=pretrained:mlp-vae-z16&z=${z.map((v) => v.toFixed(2)).join(",")}`;
  const page = await app.browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(app.server.url + hash);
  await page.waitForSelector('.model-info[data-model="pretrained:mlp-vae-z16"][data-status="ready"]', { timeout: 60_000 });
  await page.waitForFunction((want) => {
    const got = [...document.querySelectorAll('.sliders input[type="range"]')].map((i) => Number(i.value));
    return got.length === want.length && got.every((v, i) => Math.abs(v - want[i]) < 1e-6);
  }, z);

  // Moving a slider rewrites the link (a few times a second at most).
  await page.locator("#z-1").fill("1.5");
  await page.waitForFunction(() => location.hash.includes("z=1.50,"));
  const link = await page.evaluate(() => location.href);
  const shown = await pixelsOf(page, ".big-digit canvas.digit");

  const other = await app.browser.newPage({ viewport: { width: 1280, height: 900 } });
  await other.goto(link);
  await other.waitForSelector('.model-info[data-model="pretrained:mlp-vae-z16"][data-status="ready"]', { timeout: 60_000 });
  await other.waitForFunction(() => Number(document.querySelector("#z-1").value) === 1.5);
  assert.deepEqual(await pixelsOf(other, ".big-digit canvas.digit"), shown, "the same digit");

  // A link pasted into an open tab is followed too.
  await other.evaluate(() => { location.hash = "#model=pretrained:mlp-vae-z2&z=-1.00,2.00"; });
  await other.waitForSelector('.model-info[data-model="pretrained:mlp-vae-z2"]', { timeout: 60_000 });
  await other.waitForFunction(() => document.querySelectorAll('.sliders input[type="range"]').length === 2 && Number(document.querySelector("#z-2").value) === 2);
  await page.close();
  await other.close();
});
