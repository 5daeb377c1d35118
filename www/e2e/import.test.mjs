// End to end: a person's own pictures made into a dataset — a folder chosen with the folder
// picker (its folders become labels), every file accounted for, a preview, and the dataset file
// downloaded in the format the native trainer reads.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { open, results, useApp } from "./harness.mjs";
import { png } from "./png.mjs";

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

/** A folder "shapes" of 30 discs and 30 bars, all different. */
function sixtyShapes() {
  const root = join(mkdtempSync(join(tmpdir(), "latent-lab-train-")), "shapes");
  for (const kind of ["discs", "bars"]) mkdirSync(join(root, kind), { recursive: true });
  for (let i = 0; i < 30; i++) {
    const [cx, cy, r] = [20 + (i % 5) * 10, 22 + (Math.floor(i / 5) % 3) * 15, 9 + Math.floor(i / 15) * 7];
    writeFileSync(join(root, "discs", `disc-${i}.png`), png(80, 80, (x, y) => ((x - cx) ** 2 + (y - cy) ** 2 < r * r ? 15 : 245)));
    const [x0, w] = [6 + Math.round(i * 2.5), 5 + (i % 4) * 2];
    writeFileSync(join(root, "bars", `bar-${i}.png`), png(90, 90, (x, y) => (x >= x0 && x < x0 + w && y > 8 && y < 82 ? 10 : 250)));
  }
  return root;
}

test("“Train on it here”: the next run learns your pictures, every chapter uses their test set, and the digits come back", async () => {
  const context = await app.browser.newContext();
  const { page, errors } = await open(context, app);
  await page.waitForFunction(() => document.querySelector(".plane-dots").dataset.dots === "2000", null, { timeout: 60_000 });
  await page.locator(".import-panel").scrollIntoViewIfNeeded();
  await page.locator(".import-folder").setInputFiles(sixtyShapes());
  await page.waitForFunction(() => /60 images of 28×28 grey/.test(document.querySelector(".import-summary").textContent), null, { timeout: 60_000 });
  await page.click(".train-here");
  await page.waitForFunction(() => /use “shapes” \(60 pictures; 12 test images of “shapes”\)/.test(document.querySelector(".data-in-use").textContent));
  assert.match(await page.textContent(".training-strip .strip-what"), /on “shapes”$/);
  // The latent plane shows the new test set: twelve dots.
  await page.waitForFunction(() => document.querySelector(".plane-dots").dataset.dots === "12", null, { timeout: 30_000 });

  // Training from the strip learns the pictures: 48 training pictures, one step an epoch.
  await page.waitForSelector(".training-strip .strip-start:not([disabled])", { timeout: 60_000 });
  await page.click(".training-strip .strip-start");
  await page.waitForFunction(() => document.querySelector(".training-strip").dataset.state === "finished", null, { timeout: 120_000 });
  assert.match(await page.textContent(".progress-text"), /step 10 of 10/);
  // The scatter's legend names the folders.
  await page.locator(".scatter-panel").scrollIntoViewIfNeeded();
  await page.waitForFunction(() => [...document.querySelectorAll(".scatter-panel .legend li")].map((l) => l.textContent).join(",") === "bars,discs");
  await page.screenshot({ path: `${results}trained-on-shapes.png` });

  // Back to the digits: the plane's dots are the 2,000 test digits again.
  await page.locator(".import-panel").scrollIntoViewIfNeeded();
  await page.click(".back-to-digits");
  await page.waitForFunction(() => document.querySelector(".plane-dots").dataset.dots === "2000", null, { timeout: 60_000 });
  assert.doesNotMatch(await page.textContent(".training-strip .strip-what"), /on “/);
  assert.equal((await page.textContent(".data-in-use")).trim(), "");
  assert.deepEqual(errors, []);
  await context.close();
});
