// The page in English and in Simplified Chinese: the language follows the browser, the header's
// switch changes it at once and is kept for the next visit, and the parts written in both
// languages so far (TRANSLATED) hold no word of the other language.

import { test } from "node:test";
import assert from "node:assert/strict";
import { useApp } from "./harness.mjs";

const app = useApp();

/** The parts of the page written in both languages. The rest of the page is English in both
 * for now (the issue "Everyone, everywhere" tracks it); each part joins this list as it is
 * translated, and this file then checks it. */
const TRANSLATED = [".first-steps", ".training-strip"];

/** Latin words a Chinese text may hold: names, the models' short names and symbols. */
const LATIN_IN_CHINESE = new Set(["Latent", "Lab", "VAE", "MLP", "Conv", "AE", "ELBO", "KL"]);

async function open(options = {}) {
  const page = await app.browser.newPage({ viewport: { width: 1280, height: 900 }, ...options });
  await page.goto(app.server.url);
  await page.waitForSelector('.model-info[data-status="ready"]', { timeout: 60_000 });
  return page;
}

/** Every text of `selectors`' elements, aria-labels and titles included. */
const textsOf = (page, selectors) =>
  page.evaluate((list) => {
    const out = [];
    for (const selector of list) {
      for (const element of document.querySelectorAll(selector)) {
        out.push(element.textContent);
        for (const e of [element, ...element.querySelectorAll("*")]) {
          for (const name of ["aria-label", "title", "alt"]) if (e.getAttribute(name)) out.push(e.getAttribute(name));
        }
      }
    }
    return out.join("\n");
  }, selectors);

const englishWords = (text) => (text.match(/[A-Za-z]{2,}/g) ?? []).filter((w) => !LATIN_IN_CHINESE.has(w));
const chinese = (text) => text.match(/[\u3400-\u9fff]+/g) ?? [];

test("a browser that prefers Chinese opens the page in Chinese, with no English word in the translated parts", async () => {
  const page = await open({ locale: "zh-CN" });
  assert.equal(await page.getAttribute("html", "lang"), "zh-CN");
  assert.match(await page.title(), /变分自编码器/);
  assert.match(await page.textContent(".first-steps .lede"), /潜空间/);
  assert.equal((await page.textContent(".strip-start")).trim(), "训练");
  assert.equal(await page.inputValue(".language-select"), "zh-CN");
  // The switch names each language in itself, and its label is in both.
  assert.deepEqual(await page.$$eval(".language-select option", (os) => os.map((o) => o.textContent.trim())), ["English", "简体中文"]);
  assert.deepEqual(englishWords(await textsOf(page, TRANSLATED)), []);
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
  await page.reload();
  await page.waitForSelector('.model-info[data-status="ready"]', { timeout: 60_000 });
  assert.equal(await page.getAttribute("html", "lang"), "en", "kept over the browser's Chinese");
  await page.selectOption(".language-select", "zh-CN");
  await page.waitForFunction(() => document.documentElement.lang === "zh-CN");
  assert.deepEqual(englishWords(await textsOf(page, TRANSLATED)), []);
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
