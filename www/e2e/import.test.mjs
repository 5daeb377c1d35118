// End to end: a person's own pictures made into a dataset — a folder chosen with the folder
// picker (its folders become labels), every file accounted for, a preview, and the dataset file
// downloaded in the format the native trainer reads.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { open, results, useApp, waitForPage, reload } from "./harness.mjs";
import { png, pngRgb } from "./png.mjs";
import { zip } from "./zip.mjs";

const app = useApp();

/** A folder "shapes" with 12 dark discs and 12 dark bars on white (sizes and places vary), a
 * copy of one disc, a text file and a truncated PNG. */
function shapesFolder() {
  const root = join(mkdtempSync(join(tmpdir(), "latent-lab-import-")), "shapes");
  for (const kind of ["discs", "bars"]) mkdirSync(join(root, kind), { recursive: true });
  for (let i = 0; i < 12; i++) {
    const [cx, cy, r] = [30 + (i % 4) * 8, 28 + (i % 3) * 10, 10 + (i % 5) * 3];
    writeFileSync(join(root, "discs", `disc-${i}.png`), png(80, 80, (x, y) => ((x - cx) ** 2 + (y - cy) ** 2 < r * r ? 20 : 240)));
    const [x0, w] = [10 + i * 6, 6 + (i % 3) * 3];
    writeFileSync(join(root, "bars", `bar-${i}.png`), png(90, 90, (x, y) => (x >= x0 && x < x0 + w && y > 10 && y < 80 ? 10 : 250)));
  }
  writeFileSync(join(root, "discs", "copy-of-disc-0.png"), readFileSync(join(root, "discs", "disc-0.png")));
  writeFileSync(join(root, "notes.txt"), "drawn on a Tuesday");
  writeFileSync(join(root, "bars", "broken.png"), readFileSync(join(root, "bars", "bar-0.png")).subarray(0, 40));
  return root;
}

/** The header of a safetensors file: its JSON. */
const header = (bytes) => JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString("utf8"));

/** The reconstruction error (Bernoulli, nats per picture) of the best guess that ignores its
 * input: every test picture of a dataset file "reconstructed" as the training pictures' mean.
 * A model that learned something about each picture must beat it. */
function meanPictureError(bytes) {
  const length = Number(bytes.readBigUInt64LE(0));
  const info = header(bytes).images;
  const [start, end] = info.data_offsets;
  const pixels = bytes.subarray(8 + length + start, 8 + length + end);
  const count = info.shape[0];
  const values = pixels.length / count;
  const mean = new Float64Array(values);
  let train = 0;
  for (let i = 0; i < count; i++) {
    if (i % 5 === 0) continue;
    train += 1;
    for (let v = 0; v < values; v++) mean[v] += pixels[i * values + v] / 255;
  }
  const m = mean.map((s) => Math.min(1 - 1e-6, Math.max(1e-6, s / train)));
  let total = 0;
  let tests = 0;
  for (let i = 0; i < count; i += 5) {
    tests += 1;
    for (let v = 0; v < values; v++) {
      const x = pixels[i * values + v] / 255;
      total -= x * Math.log(m[v]) + (1 - x) * Math.log(1 - m[v]);
    }
  }
  return total / tests;
}

test("a folder of pictures becomes a labelled dataset: every file accounted for, previewed, and downloaded", async () => {
  const context = await app.browser.newContext({ acceptDownloads: true });
  const { page, errors } = await open(context, app);
  await page.locator(".import-panel").scrollIntoViewIfNeeded();
  await page.locator(".import-folder").setInputFiles(shapesFolder());
  await page.waitForFunction(() => /images of/.test(document.querySelector(".import-summary").textContent), null, { timeout: 60_000 });
  const summary = await page.textContent(".import-summary");
  assert.match(summary, /^“shapes”: 24 images of 28×28 grey; 2 labels from its folders: bars, discs\. 24 pictures kept; passed over: /);
  // Which of the two copies is "the duplicate" follows the order the browser lists them in.
  assert.match(summary, /1 duplicate \(shapes\/discs\/(copy-of-)?disc-0\.png\)/);
  assert.match(summary, /1 file that is not a picture \(shapes\/notes\.txt\)/);
  assert.match(summary, /1 picture that could not be read \(shapes\/bars\/broken\.png\)/);
  // The preview: 24 images in rows of 8, inverted (the pictures are ink on paper), so each shows
  // its shape dark on light again.
  const preview = await page.locator("canvas.import-preview").evaluate((c) => {
    const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    let dark = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] < 100) dark++;
    return { width: c.width, height: c.height, darkShare: dark / (d.length / 4) };
  });
  assert.deepEqual([preview.width, preview.height], [8 * 28, 3 * 28]);
  assert.ok(preview.darkShare > 0.02 && preview.darkShare < 0.4, `dark share ${preview.darkShare}`);
  await page.locator(".import-panel").screenshot({ path: `${results}import.png` });

  const [download] = await Promise.all([page.waitForEvent("download"), page.click(".save-dataset")]);
  assert.equal(download.suggestedFilename(), "shapes.dataset.safetensors");
  const bytes = readFileSync(await download.path());
  const head = header(bytes);
  assert.equal(head.__metadata__.format, "latent-lab-dataset/1");
  assert.equal(head.__metadata__.shape, "grey-28");
  assert.deepEqual([head.__metadata__.label_count, head.__metadata__["label.0"], head.__metadata__["label.1"]], ["2", "bars", "discs"]);
  assert.deepEqual(head.images.shape, [24, 1, 28, 28]);
  assert.deepEqual(head.labels.shape, [24]);

  // 24 pictures are too few to keep a test set back: all of them train, the epochs are scored
  // on them (and say so), and the chapters that need test images say why they have none.
  await page.click(".train-here");
  await page.waitForFunction(() => /use “shapes” \(24 pictures; all train: fewer than 50 keep none back for testing\)/.test(document.querySelector(".data-in-use")?.textContent ?? ""), null, { timeout: 30_000 });
  await page.waitForSelector(".training-strip .strip-start:not([disabled])", { timeout: 60_000 });
  await page.click(".training-strip .strip-start");
  await page.waitForFunction(() => document.querySelector(".training-strip")?.dataset.state === "finished", null, { timeout: 120_000 });
  assert.match(await page.textContent(".epoch-figure figcaption"), /^training images, per epoch \(the set is too small to keep test images back\); after epoch 50: −ELBO [\d.]+ = reconstruction [\d.]+ \+ KL [\d.]+ nats$/);
  assert.match(await page.textContent(".scatter-panel .error"), /No test images to place: “shapes” has 24 images; with fewer than 50 every image trains/);
  assert.deepEqual(errors, []);
  await context.close();
});

test("files that hold no usable picture are refused with a count of what they were", async () => {
  const context = await app.browser.newContext();
  const { page, errors } = await open(context, app);
  const dir = mkdtempSync(join(tmpdir(), "latent-lab-nothing-"));
  writeFileSync(join(dir, "readme.md"), "# nothing here");
  writeFileSync(join(dir, "empty.png"), "");
  await page.locator(".import-files").setInputFiles([join(dir, "readme.md"), join(dir, "empty.png")]);
  await page.waitForFunction(() => /None of the 2 files could be used/.test(document.querySelector(".import-panel .error").textContent), null, { timeout: 30_000 });
  const message = await page.textContent(".import-panel .error");
  assert.match(message, /1 file that is not a picture \(readme\.md\), 1 picture that could not be read \(empty\.png\)/);
  assert.equal(await page.locator("canvas.import-preview").isVisible(), false);
  assert.equal(await page.locator(".save-dataset").isDisabled(), true);
  assert.deepEqual(errors, []);
  await context.close();
});

/** A folder `name` of 30 discs and 30 bars, all different: as grey ink on paper (the default),
 * or, given `colours` ({ disc, discPaper, bar, barPaper } as [r, g, b]), in colour. */
function sixtyShapes(name = "shapes", colours = null) {
  const root = join(mkdtempSync(join(tmpdir(), "latent-lab-train-")), name);
  for (const kind of ["discs", "bars"]) mkdirSync(join(root, kind), { recursive: true });
  // Each picture is its mark on its paper: grey levels, or colours.
  const picture = (side, mark, paper, inside) =>
    colours
      ? pngRgb(side, side, (x, y) => (inside(x, y) ? colours[mark] : colours[paper]))
      : png(side, side, (x, y) => (inside(x, y) ? { disc: 15, bar: 10 }[mark] : { discPaper: 245, barPaper: 250 }[paper]));
  for (let i = 0; i < 30; i++) {
    const [cx, cy, r] = [20 + (i % 5) * 10, 22 + (Math.floor(i / 5) % 3) * 15, 9 + Math.floor(i / 15) * 7];
    writeFileSync(join(root, "discs", `disc-${i}.png`), picture(80, "disc", "discPaper", (x, y) => (x - cx) ** 2 + (y - cy) ** 2 < r * r));
    const [x0, w] = [6 + Math.round(i * 2.5), 5 + (i % 4) * 2];
    writeFileSync(join(root, "bars", `bar-${i}.png`), picture(90, "bar", "barPaper", (x, y) => x >= x0 && x < x0 + w && y > 8 && y < 82));
  }
  return root;
}

test("“Train on it here”: the next run learns your pictures, every chapter uses their test set, and the digits come back", async () => {
  const context = await app.browser.newContext({ acceptDownloads: true });
  const { page, errors } = await open(context, app);
  await page.waitForFunction(() => document.querySelector(".plane-dots")?.dataset.dots === "2000", null, { timeout: 60_000 });
  await page.locator(".import-panel").scrollIntoViewIfNeeded();
  await page.locator(".import-folder").setInputFiles(sixtyShapes());
  await page.waitForFunction(() => /60 images of 28×28 grey/.test(document.querySelector(".import-summary").textContent), null, { timeout: 60_000 });
  await page.click(".train-here");
  await page.waitForFunction(() => /use “shapes” \(60 pictures; 12 test images of “shapes”\)/.test((document.querySelector(".data-in-use")?.textContent ?? "")));
  assert.match(await page.textContent(".training-strip .strip-what"), /on “shapes”$/);
  // The latent plane shows the new test set: twelve dots (once scrolled to: off screen it
  // encodes nothing).
  await page.locator(".plane").scrollIntoViewIfNeeded();
  await page.waitForFunction(() => document.querySelector(".plane-dots")?.dataset.dots === "12", null, { timeout: 30_000 });

  // Training from the strip learns the pictures: 48 training pictures, at the pace the page
  // chose for them (batch 8, 50 epochs: 300 steps).
  await page.waitForSelector(".training-strip .strip-start:not([disabled])", { timeout: 60_000 });
  await page.click(".training-strip .strip-start");
  await page.waitForFunction(() => document.querySelector(".training-strip").dataset.state === "finished", null, { timeout: 120_000 });
  assert.match(await page.textContent(".progress-text"), /step 300 of 300/);
  // It learned the pictures: the test pictures' reconstruction error is well below that of the
  // best guess blind to them (each one drawn as the training pictures' mean).
  const recon = Number(await page.getAttribute(".epoch-figure", "data-recon"));
  const [download] = await Promise.all([page.waitForEvent("download"), page.click(".save-dataset")]);
  const blind = meanPictureError(readFileSync(await download.path()));
  assert.ok(recon < 0.8 * blind, `test reconstruction ${recon} nats against ${blind} for the mean picture`);
  // The chapters speak of pictures, not digits.
  assert.match(await page.textContent("#latent-title"), /^Output: the picture at the point$/);
  assert.deepEqual(await page.$$eval(".draw-panel .source", (b) => b.map((e) => e.textContent)), ["Draw a picture", "A test picture"]);
  // The scatter's legend names the folders.
  await page.locator(".scatter-panel").scrollIntoViewIfNeeded();
  await page.waitForFunction(() => [...document.querySelectorAll(".scatter-panel .legend li")].map((l) => l.textContent).join(",") === "bars,discs");
  await page.screenshot({ path: `${results}trained-on-shapes.png` });

  // Back to the digits: the plane's dots are the 2,000 test digits again.
  await page.locator(".import-panel").scrollIntoViewIfNeeded();
  await page.click(".back-to-digits");
  await page.locator(".plane").scrollIntoViewIfNeeded();
  await page.waitForFunction(() => document.querySelector(".plane-dots")?.dataset.dots === "2000", null, { timeout: 60_000 });
  assert.doesNotMatch(await page.textContent(".training-strip .strip-what"), /on “/);
  // The digits bring back their words and the reference pace.
  assert.match(await page.textContent("#latent-title"), /^Output: the digit at the point$/);
  assert.match(await page.textContent(".training-strip .strip-what"), /10 epochs$/);
  assert.equal((await page.textContent(".data-in-use")).trim(), "");
  assert.deepEqual(errors, []);
  await context.close();
});

test("a run on your own pictures comes back after a reload, on those pictures, and goes on", async () => {
  const context = await app.browser.newContext();
  const { page, errors } = await open(context, app);
  await page.locator(".import-panel").scrollIntoViewIfNeeded();
  await page.locator(".import-folder").setInputFiles(sixtyShapes());
  await page.waitForFunction(() => /60 images of 28×28 grey/.test(document.querySelector(".import-summary").textContent), null, { timeout: 60_000 });
  await page.click(".train-here");
  await page.waitForFunction(() => /use “shapes”/.test(document.querySelector(".data-in-use")?.textContent ?? ""));
  // Long enough to reload in the middle: 6 steps an epoch, 300 epochs.
  for (const [field, value] of [["batch", 8], ["epochs", 300]]) {
    await page.fill(`.field.${field} input`, String(value));
    await page.press(`.field.${field} input`, "Tab");
  }
  await page.waitForSelector(".training-strip .strip-start:not([disabled])", { timeout: 60_000 });
  await page.click(".training-strip .strip-start");
  // The run is kept with its dataset once it has taken steps.
  await waitForPage(page, () => new Promise((ok) => {
    const r = indexedDB.open("latent-lab");
    r.onsuccess = () => {
      const all = r.result.transaction("runs").objectStore("runs").getAll();
      all.onsuccess = () => { ok(all.result.some((run) => run.at.steps > 0 && /^dataset-/.test(run.dataset ?? ""))); r.result.close(); };
    };
  }));

  await reload(page);
  await page.waitForFunction(() => /from your last visit is back/.test(document.querySelector(".training-message")?.textContent ?? ""), null, { timeout: 60_000 });
  assert.match(await page.textContent(".training-strip .strip-what"), /300 epochs on “shapes”$/);
  assert.match(await page.textContent(".data-in-use"), /use “shapes” \(60 pictures/);
  const back = Number(/step (\d+)/.exec(await page.textContent(".progress-text"))[1]);
  await page.waitForSelector(".training-buttons .resume:not([disabled])", { timeout: 60_000 });
  await page.click(".training-buttons .resume");
  await page.waitForFunction((n) => Number(/step (\d+)/.exec(document.querySelector(".progress-text")?.textContent ?? "")?.[1] ?? 0) > n + 12, back, { timeout: 60_000 });
  await page.click(".training-buttons .reset");
  assert.deepEqual(errors, []);
  await context.close();
});

test("an import can be cancelled at once while the page stays usable, and the next import works", async () => {
  const context = await app.browser.newContext();
  const { page, errors } = await open(context, app);
  // 1,000 different 400×400 pictures: seconds of decoding, so Cancel comes well before the end.
  const dir = mkdtempSync(join(tmpdir(), "latent-lab-cancel-"));
  const files = [];
  for (let i = 0; i < 1000; i++) {
    const path = join(dir, `noise-${i}.png`);
    writeFileSync(path, png(400, 400, (x, y) => (x * 7 + y * 13 + i * 31) % 251));
    files.push(path);
  }
  await page.locator(".import-panel").scrollIntoViewIfNeeded();
  await page.locator(".import-files").setInputFiles(files);
  await page.waitForFunction(() => {
    const count = document.querySelector(".import-progress span")?.textContent ?? "";
    const done = Number(/^(\d+) of 1000 files$/.exec(count)?.[1] ?? 0);
    return done > 0 && done < 1000;
  }, null, { timeout: 60_000 });
  await page.click(".import-progress button");
  await page.waitForFunction(() => /Import cancelled; nothing was kept\./.test(document.querySelector(".import-panel .error").textContent));
  assert.equal(await page.locator(".import-progress").count(), 0, "the progress bar is gone");
  assert.equal(await page.locator(".save-dataset").isDisabled(), true, "nothing to download");
  // The page answers at once, and the next import goes through.
  await page.locator(".import-files").setInputFiles(files.slice(0, 3));
  await page.waitForFunction(() => /^“my pictures”: 3 images of 28×28 grey\./.test(document.querySelector(".import-summary").textContent), null, { timeout: 30_000 });
  assert.deepEqual(errors, []);
  await context.close();
});

test("an import is kept in the browser: listed, chosen in the header's data menu, back after a reload, downloaded, deleted and opened again", async () => {
  const context = await app.browser.newContext({ acceptDownloads: true });
  const { page, errors } = await open(context, app);
  page.on("dialog", (dialog) => dialog.accept());
  await page.locator(".import-panel").scrollIntoViewIfNeeded();
  await page.locator(".import-folder").setInputFiles(sixtyShapes());
  await page.waitForFunction(() => /60 images of 28×28 grey/.test(document.querySelector(".import-summary").textContent), null, { timeout: 60_000 });
  await page.waitForFunction(() => document.querySelectorAll(".dataset-shelf li.dataset").length === 1);
  assert.match(await page.textContent(".dataset-shelf li.dataset"), /shapes.*60 pictures · 28×28 grey · \d+ KB · labels: bars, discs/);

  // After a reload it is still there, and the header's menu offers it.
  await reload(page);
  await page.waitForFunction(() => [...document.querySelectorAll("#data-select option")].some((o) => /^shapes · 60 pictures/.test(o.textContent)), null, { timeout: 30_000 });
  await page.waitForFunction(() => document.querySelector(".plane-dots")?.dataset.dots === "2000", null, { timeout: 60_000 });
  const value = await page.$eval("#data-select", (s) => [...s.options].find((o) => /^shapes/.test(o.textContent)).value);
  await page.selectOption("#data-select", value);
  await page.waitForFunction(() => /use “shapes” \(60 pictures; 12 test images of “shapes”\)/.test((document.querySelector(".data-in-use")?.textContent ?? "")));
  await page.waitForFunction(() => document.querySelector(".plane-dots")?.dataset.dots === "12", null, { timeout: 30_000 });

  // A reload comes back on it, training included.
  await reload(page);
  await page.waitForFunction(() => /use “shapes”/.test((document.querySelector(".data-in-use")?.textContent ?? "")), null, { timeout: 30_000 });
  await page.waitForFunction(() => document.querySelector(".plane-dots")?.dataset.dots === "12", null, { timeout: 60_000 });
  assert.equal(await page.$eval("#data-select", (s) => s.options[s.selectedIndex].textContent.startsWith("shapes")), true);
  await page.waitForFunction(() => /on “shapes”$/.test((document.querySelector(".training-strip .strip-what")?.textContent ?? "")), null, { timeout: 60_000 });

  // Downloaded from the list, then deleted: the page goes back to the digits.
  await page.locator(".dataset-shelf").scrollIntoViewIfNeeded();
  const [download] = await Promise.all([page.waitForEvent("download"), page.click(".dataset-shelf .download-dataset")]);
  assert.equal(download.suggestedFilename(), "shapes.dataset.safetensors");
  const kept = await download.path();
  await page.locator(".import-panel").screenshot({ path: `${results}datasets.png` });
  await page.click(".dataset-shelf .delete-dataset");
  await page.waitForFunction(() => document.querySelectorAll(".dataset-shelf li.dataset").length === 0);
  await page.locator(".plane").scrollIntoViewIfNeeded();
  await page.waitForFunction(() => document.querySelector(".plane-dots")?.dataset.dots === "2000", null, { timeout: 60_000 });
  // Only the built-in sets are left in the menu: the digits and the generated shapes.
  assert.deepEqual(await page.$$eval("#data-select option", (o) => o.map((x) => x.value)), ["", "generated:sprites"]);

  // The downloaded file opens again as a kept dataset.
  await page.locator(".open-dataset").setInputFiles(kept);
  await page.waitForFunction(() => document.querySelectorAll(".dataset-shelf li.dataset").length === 1);
  assert.match(await page.textContent(".dataset-shelf li.dataset"), /shapes.*60 pictures/);
  // A file that is not a dataset is refused by name, and nothing kept is lost.
  const junk = join(mkdtempSync(join(tmpdir(), "latent-lab-junk-")), "junk.safetensors");
  writeFileSync(junk, "not a dataset at all");
  await page.locator(".open-dataset").setInputFiles(junk);
  await page.waitForFunction(() => /“junk\.safetensors” is not a dataset Latent Lab can read/.test(document.querySelector(".dataset-shelf .error").textContent));
  assert.equal(await page.locator(".dataset-shelf li.dataset").count(), 1);
  assert.deepEqual(errors, []);
  await context.close();
});

test("an import the browser's full storage cannot keep is still usable for the visit, says why, and the sets kept before stay", async () => {
  const context = await app.browser.newContext({ acceptDownloads: true });
  const { page, errors } = await open(context, app);
  await page.locator(".import-panel").scrollIntoViewIfNeeded();
  await page.locator(".import-folder").setInputFiles(sixtyShapes("kept"));
  await page.waitForFunction(() => document.querySelectorAll(".dataset-shelf li.dataset").length === 1, null, { timeout: 60_000 });

  // The disk fills up: every write to IndexedDB is refused from now on.
  await page.evaluate(() => {
    IDBObjectStore.prototype.put = function () {
      throw new DOMException("simulated full disk", "QuotaExceededError");
    };
  });
  await page.locator(".import-folder").setInputFiles(sixtyShapes("unkept"));
  await page.waitForFunction(() => /60 images of 28×28 grey/.test(document.querySelector(".import-summary").textContent), null, { timeout: 60_000 });
  const why = /It could not be kept in this browser \(the browser's storage for this page is full.*\); it is here until the page is closed: download it to keep it\./;
  await page.waitForFunction((source) => new RegExp(source).test(document.querySelector(".import-panel .error").textContent), why.source);
  // What was kept before is still listed; the new set is not.
  assert.deepEqual(await page.$$eval(".dataset-shelf li.dataset", (l) => l.map((e) => /kept/.test(e.textContent))), [true]);
  // It trains here all the same, the reason stays in view, and it can be downloaded.
  await page.click(".train-here");
  await page.waitForFunction(() => /use “unkept” \(60 pictures/.test(document.querySelector(".data-in-use")?.textContent ?? ""));
  assert.match(await page.textContent(".import-panel .error"), why);
  const [download] = await Promise.all([page.waitForEvent("download"), page.click(".save-dataset")]);
  assert.equal(download.suggestedFilename(), "unkept.dataset.safetensors");
  assert.deepEqual(errors, []);
  await context.close();
});

/** Drops `paths` (files or folders of this machine) on `selector` as a person would: through
 * the browser's own drag and drop (Chromium's DevTools protocol), so a folder arrives as a
 * folder the page walks. The point is taken once the element has stood still for a frame and
 * is what is found there: chapters built as they come near can still move it after a scroll,
 * and a drop beside it would import nothing. */
async function dropOn(page, selector, paths) {
  const found = await page.waitForFunction((sel) => {
    const element = document.querySelector(sel);
    const r = element.getBoundingClientRect();
    const [x, y] = [r.x + r.width / 2, r.y + Math.min(r.height / 2, 200)];
    const still = window.__dropPoint === `${x},${y}`;
    window.__dropPoint = `${x},${y}`;
    const there = document.elementFromPoint(x, y);
    return still && there !== null && element.contains(there) && [x, y];
  }, selector);
  const [x, y] = await found.jsonValue();
  const cdp = await page.context().newCDPSession(page);
  const data = { items: [], files: paths, dragOperationsMask: 1 };
  for (const type of ["dragEnter", "dragOver", "drop"]) await cdp.send("Input.dispatchDragEvent", { type, x, y, data });
  await cdp.detach();
}

test("a folder dropped on the chapter is imported like a chosen one, its folders as labels", async () => {
  const context = await app.browser.newContext();
  const { page, errors } = await open(context, app);
  await page.locator(".import-panel").scrollIntoViewIfNeeded();
  await dropOn(page, ".import-panel", [shapesFolder()]);
  await page.waitForFunction(() => /images of/.test(document.querySelector(".import-summary").textContent), null, { timeout: 60_000 });
  const summary = await page.textContent(".import-summary");
  assert.match(summary, /^“shapes”: 24 images of 28×28 grey; 2 labels from its folders: bars, discs\. 24 pictures kept; passed over: /);
  // Dropped folders are read in name order: the copy (“copy-of-disc-0”) comes first.
  assert.match(summary, /1 duplicate \(shapes\/discs\/disc-0\.png\)/);
  assert.match(summary, /1 file that is not a picture \(shapes\/notes\.txt\)/);
  assert.match(summary, /1 picture that could not be read \(shapes\/bars\/broken\.png\)/);
  assert.deepEqual(errors, []);
  await context.close();
});

test("a zip of nested folders is imported, its folders as labels; an encrypted zip and a zip bomb are refused by name and nothing kept is lost", async () => {
  const context = await app.browser.newContext();
  const { page, errors } = await open(context, app);
  const dir = mkdtempSync(join(tmpdir(), "latent-lab-zip-"));
  const entries = [];
  for (let i = 0; i < 6; i++) {
    entries.push({ name: `shapes/discs/disc-${i}.png`, data: png(40, 40, (x, y) => ((x - 20) ** 2 + (y - 20) ** 2 < (6 + i) ** 2 ? 10 : 245)) });
    entries.push({ name: `shapes/bars/wide/bar-${i}.png`, data: png(40, 40, (x) => (x >= 8 + i * 4 && x < 12 + i * 4 ? 10 : 245)), deflate: i % 2 === 0 });
  }
  entries.push({ name: "shapes/readme.txt", data: Buffer.from("shapes, drawn by hand") });
  entries.push({ name: "__MACOSX/shapes/._disc-0.png", data: Buffer.from("resource fork") });
  writeFileSync(join(dir, "shapes.zip"), zip(entries));
  await page.locator(".import-panel").scrollIntoViewIfNeeded();
  await page.locator(".import-files").setInputFiles(join(dir, "shapes.zip"));
  await page.waitForFunction(() => /images of/.test(document.querySelector(".import-summary").textContent), null, { timeout: 60_000 });
  assert.match(await page.textContent(".import-summary"),
    /^“my pictures”: 12 images of 28×28 grey; 2 labels from its folders: discs, wide\. 12 pictures kept; passed over: 1 file that is not a picture \(shapes\.zip\/shapes\/readme\.txt\)\.$/);
  await page.waitForFunction(() => document.querySelectorAll(".dataset-shelf li.dataset").length === 1);

  // Encrypted: refused by name, before anything is read.
  writeFileSync(join(dir, "locked.zip"), zip([{ name: "secret/a.png", data: png(8, 8, () => 0), flags: 1 }]));
  await page.locator(".import-files").setInputFiles(join(dir, "locked.zip"));
  await page.waitForFunction(() => /“locked\.zip”: the archive is password-protected \(“secret\/a\.png” is encrypted\)/.test(document.querySelector(".import-panel .error").textContent), null, { timeout: 30_000 });
  // A bomb: 2,000 files that each declare 1 MB unpacked (2 GB in all) in a small archive.
  const bomb = Array.from({ length: 2000 }, (_, i) => ({ name: `bomb/${i}.png`, data: Buffer.alloc(64), declaredSize: 1_000_000 }));
  writeFileSync(join(dir, "bomb.zip"), zip(bomb));
  await page.locator(".import-files").setInputFiles(join(dir, "bomb.zip"));
  await page.waitForFunction(() => /“bomb\.zip”: the archive declares \d+ bytes once unpacked, more than the 1073741824 an import may take; nothing was unpacked/.test(document.querySelector(".import-panel .error").textContent), null, { timeout: 30_000 });
  // What was kept before is still there.
  assert.equal(await page.locator(".dataset-shelf li.dataset").count(), 1);
  assert.deepEqual(errors, []);
  await context.close();
});

test("odd pictures are read as a person sees them: CMYK JPEG, animated GIF (its first frame), transparent PNG, BMP, WebP and a 10,000×10,000 PNG", async () => {
  const context = await app.browser.newContext();
  const { page, errors } = await open(context, app);
  const here = new URL("./pictures/", import.meta.url).pathname;
  const dir = mkdtempSync(join(tmpdir(), "latent-lab-odd-"));
  // A dark disc in the middle of a 10,000×10,000 white page: decoded scaled, not whole.
  const huge = join(dir, "huge-disc.png");
  writeFileSync(huge, png(10_000, 10_000, (x, y) => ((x - 5000) ** 2 + (y - 5000) ** 2 < 3000 ** 2 ? 0 : 255)));
  const files = ["cmyk-disc.jpg", "animated-bar-first.gif", "transparent-disc.png", "square.bmp", "triangle.webp"].map((f) => join(here, f));
  await page.locator(".import-panel").scrollIntoViewIfNeeded();
  await page.locator(".import-files").setInputFiles([...files, huge]);
  await page.waitForFunction(() => /images of/.test(document.querySelector(".import-summary").textContent), null, { timeout: 120_000 });
  assert.match(await page.textContent(".import-summary"), /^“my pictures”: 6 images of 28×28 grey\. 6 pictures kept\.$/);
  // The preview shows each as ink on paper again: dark in the middle, light in the corner; the
  // GIF's first frame (a vertical bar) is light where its later frames (a horizontal bar, a
  // disc) are dark.
  const tiles = await page.locator("canvas.import-preview").evaluate((c) => {
    const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    const at = (i, x, y) => d[((Math.floor(i / 8) * 28 + y) * c.width + (i % 8) * 28 + x) * 4];
    return Array.from({ length: 6 }, (_, i) => ({ centre: at(i, 14, 14), corner: at(i, 1, 1), left: at(i, 5, 14) }));
  });
  tiles.forEach((t, i) => {
    assert.ok(t.centre < 100, `picture ${i} is dark in the middle: ${JSON.stringify(t)}`);
    assert.ok(t.corner > 155, `picture ${i} is light in the corner: ${JSON.stringify(t)}`);
  });
  assert.ok(tiles[1].left > 155, `the GIF's first frame: ${JSON.stringify(tiles[1])}`);
  assert.deepEqual(errors, []);
  await context.close();
});

test("an import worker that cannot load says so instead of leaving the progress bar up", async () => {
  const context = await app.browser.newContext();
  const { page, errors } = await open(context, app);
  // The training worker is up; from now on the worker's code cannot be fetched.
  await page.waitForSelector(".training-strip .strip-start:not([disabled])", { timeout: 60_000 });
  await page.route("**/worker_bg.wasm*", (route) => route.abort());
  const dir = mkdtempSync(join(tmpdir(), "latent-lab-noworker-"));
  writeFileSync(join(dir, "a.png"), png(20, 20, (x) => (x < 10 ? 0 : 255)));
  await page.locator(".import-panel").scrollIntoViewIfNeeded();
  await page.locator(".import-files").setInputFiles(join(dir, "a.png"));
  await page.waitForFunction(() => /The import worker did not start/.test(document.querySelector(".import-panel .error").textContent), null, { timeout: 40_000 });
  assert.equal(await page.locator(".import-progress").count(), 0, "the progress bar is gone");
  assert.equal(await page.locator(".import-files").isDisabled(), false, "another import can be tried");
  // The only error is the worker's own failed fetch of its code, which the browser reports.
  assert.deepEqual(errors.filter((e) => !/Failed to fetch/.test(e)), []);
  await context.close();
});

/** A folder "warm" of 60 colour pictures: red discs on blue and yellow bars on green. */
const colourFolder = () =>
  sixtyShapes("warm", { disc: [230, 30, 20], discPaper: [20, 40, 200], bar: [240, 220, 30], barPaper: [30, 150, 60] });

/** Waits until the canvas at `selector` shows more than `min` coloured pixels (whose channels
 * differ a lot: not grey); returns its size and that count. */
async function waitForColour(page, selector, min) {
  const look = await page.waitForFunction(
    ({ selector, min }) => {
      const c = document.querySelector(selector);
      if (!c || !c.width) return null;
      const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
      let colour = 0;
      for (let i = 0; i < d.length; i += 4) if (Math.max(d[i], d[i + 1], d[i + 2]) - Math.min(d[i], d[i + 1], d[i + 2]) > 60) colour++;
      return colour > min ? { width: c.width, height: c.height, colour } : null;
    },
    { selector, min },
    { timeout: 30_000 },
  );
  return look.jsonValue();
}

test("colour pictures train a colour model in the page, and the tool shows them in colour", async () => {
  const context = await app.browser.newContext({ acceptDownloads: true });
  const { page, errors } = await open(context, app);
  await page.locator(".import-panel").scrollIntoViewIfNeeded();
  await page.locator(".import-panel select").first().selectOption({ label: "32×32 colour" });
  await page.locator(".import-folder").setInputFiles(colourFolder());
  await page.waitForFunction(() => /60 images of 32×32 colour/.test(document.querySelector(".import-summary").textContent), null, { timeout: 60_000 });
  await page.click(".train-here");
  await page.waitForFunction(() => /use “warm” \(60 pictures; 12 test images of “warm”\)/.test(document.querySelector(".data-in-use")?.textContent ?? ""), null, { timeout: 30_000 });
  // The digits model in use cannot read them, and the page says so until a model of their shape is trained.
  await page.waitForFunction(() => /reads 28×28 grey pictures, and the data in use is 32×32 colour/.test(document.querySelector(".shape-notice")?.textContent ?? ""));
  // 48 training pictures would fit in one batch of 128: the page chose a pace for them and says
  // so; a batch of 128 typed over it is kept, with what it means; and a pace typed by the
  // person stays theirs.
  assert.match(await page.textContent(".small-set-pace"), /^Batch 8 and 50 epochs were chosen for 48 training pictures: about 300 steps/);
  const set = async (field, value) => {
    await page.fill(`.field.${field} input`, String(value));
    await page.press(`.field.${field} input`, "Tab");
  };
  await set("batch", 128);
  await page.waitForFunction(() => /Batch 128 takes all 48 training pictures in one step/.test(document.querySelector(".one-step-epochs:not([hidden])")?.textContent ?? ""));
  await page.waitForSelector(".small-set-pace[hidden]", { state: "attached" });
  await set("batch", 8);
  await set("epochs", 40);
  await page.waitForSelector(".one-step-epochs[hidden]", { state: "attached" });
  await page.waitForFunction(() => /for 32×32 colour images · 40 epochs on “warm”$/.test(document.querySelector(".training-strip .strip-what")?.textContent ?? ""));

  await page.waitForSelector(".training-strip .strip-start:not([disabled])", { timeout: 60_000 });
  await page.click(".training-strip .strip-start");
  await page.waitForFunction(() => document.querySelector(".training-strip")?.dataset.state === "finished", null, { timeout: 180_000 });
  await page.waitForFunction(() => document.querySelector(".shape-notice")?.hidden === true, null, { timeout: 30_000 });

  // A test picture, its reconstruction, the output at its code and the manifold around it are
  // 32×32 colour pictures (the mean picture at the origin is a muddy mix of both kinds).
  await page.click(".draw-panel .source >> text=A test picture");
  await waitForColour(page, ".draw-panel .reconstruction canvas", 100);
  const output = await waitForColour(page, ".stage-output canvas.digit", 100);
  assert.deepEqual([output.width, output.height], [32, 32]);
  await page.locator(".manifold-panel").scrollIntoViewIfNeeded();
  const manifold = await waitForColour(page, "canvas.manifold", 1000);
  assert.equal(manifold.width % 32, 0);
  // Restoring a damaged colour picture brings it closer to the original.
  await page.locator(".restore-panel").scrollIntoViewIfNeeded();
  await page.waitForFunction(() => Number(document.querySelector(".restore-verdict")?.dataset.restored) >= 0, null, { timeout: 30_000 });
  // The comparison sets the models kept here that read these pictures side by side (the
  // shipped ones read digits): here the one just trained.
  await page.locator(".compare-panel").scrollIntoViewIfNeeded();
  await page.waitForSelector(".compare-panel .compare-models:not([disabled])", { timeout: 60_000 });
  await page.click(".compare-panel .compare-models");
  await page.waitForFunction(() => [...document.querySelectorAll(".compare-table tbody tr")].some((r) => /^stored:run-/.test(r.dataset.model)) && !document.querySelector(".compare-models").disabled, null, { timeout: 60_000 });
  assert.equal(await page.locator(".compare-table tbody tr").count(), 1);
  // An uploaded colour picture is read at 32×32 and reconstructed.
  const dir = mkdtempSync(join(tmpdir(), "latent-lab-upload-"));
  writeFileSync(join(dir, "sunset.png"), pngRgb(200, 120, (x, y) => ((x - 100) ** 2 + (y - 60) ** 2 < 900 ? [250, 40, 30] : [10, 30, 190])));
  await page.locator(".draw-panel .upload-input").setInputFiles(join(dir, "sunset.png"));
  await waitForColour(page, ".draw-panel .drawn canvas", 100);
  assert.match(await page.textContent(".draw-panel .drawn figcaption"), /32×32 colour/);
  await page.locator(".tool").screenshot({ path: `${results}colour-tool.png` });

  // The model file says what it reads and what it was trained on.
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("text=Download")]);
  const meta = header(readFileSync(await download.path())).__metadata__;
  assert.deepEqual([meta.shape, meta.dataset], ["colour-32", "warm"]);
  // A link cannot carry the pictures, and says so.
  assert.match(await page.textContent(".link-note"), /The pictures of “warm” cannot travel in a link/);
  assert.deepEqual(errors, []);
  await context.close();
});
