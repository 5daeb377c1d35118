// End to end: a dataset drawn by hand. Three symbols drawn 17 times each on the pad (51: enough
// for a test split), each added under its label; the set is browsed, one drawing removed, and
// the set trained on from the Data menu; the scatter names the symbols.

import { test } from "node:test";
import assert from "node:assert/strict";
import { drawStroke, open, results, useApp, reload } from "./harness.mjs";

const app = useApp();

/** Strokes of symbol `kind`, varied a little by `i`, in pad pixels (0..280). */
function strokes(kind, i) {
  const d = (i % 5) * 6 - 12;
  const s = 1 + (i % 3) * 0.12;
  switch (kind) {
    case "bar":
      return [[[140 + d, 50], [140 + d, 230 * s > 250 ? 250 : 230 * s]]];
    case "dash":
      return [[[50, 140 + d], [Math.min(250, 230 * s), 140 + d]]];
    default: {
      const r = 70 * s;
      const circle = Array.from({ length: 17 }, (_, k) => [140 + d + r * Math.cos((k / 16) * 2 * Math.PI), 140 + r * Math.sin((k / 16) * 2 * Math.PI)]);
      return [circle];
    }
  }
}

test("three symbols drawn and labelled become a dataset: browsed, a drawing removed, kept across a reload, trained on", async () => {
  const context = await app.browser.newContext();
  const { page, errors } = await open(context, app);
  const count = () => page.textContent(".drawings-count");
  let added = 0;
  for (const kind of ["bar", "dash", "ring"]) {
    await page.fill(".drawing-label", kind);
    for (let i = 0; i < 17; i++) {
      for (const points of strokes(kind, i)) await drawStroke(page, points);
      await page.waitForSelector(".add-drawing:not([disabled])");
      await page.click(".add-drawing");
      added += 1;
      await page.waitForFunction((n) => (document.querySelector(".drawings-count")?.textContent ?? "").startsWith(`My drawings: ${n} `), added);
      // The pad is cleared for the next drawing.
      await page.waitForSelector(".add-drawing[disabled]");
    }
  }
  assert.match(await count(), /^My drawings: 51 \(bar 17 · dash 17 · ring 17\); choose “my drawings” in the Data menu/);
  // The Data menu follows the set as it grows: usable now, without a reload.
  await page.waitForFunction(() => [...document.querySelectorAll("#data-select option")].some((o) => /^my drawings · 51 pictures/.test(o.textContent) && !o.disabled));
  // Browsed, and one removed: 50 is still enough for a test split.
  await page.click(".browse-drawings summary");
  assert.equal(await page.locator(".drawing-grid li").count(), 51);
  await page.locator(".my-drawings").screenshot({ path: `${results}my-drawings.png` });
  await page.click('.remove-drawing[aria-label="remove drawing 18, “dash”"]');
  await page.waitForFunction(() => document.querySelectorAll(".drawing-grid li").length === 50);
  assert.match(await count(), /^My drawings: 50 \(bar 17 · dash 16 · ring 17\)/);

  // Kept across a reload, and offered by the Data menu. The removal is written to the browser's
  // storage after it shows; a reload before that would lose it (the page asks first), so the
  // test reloads once the set is kept.
  await page.waitForSelector('.my-drawings[data-kept="true"]');
  await reload(page);
  // Read back: a count (not the empty set's hint) shows, and it is the set after the removal.
  await page.waitForFunction(() => /^My drawings: \d+ /.test((document.querySelector(".drawings-count")?.textContent ?? "")), null, { timeout: 30_000 });
  assert.match(await count(), /^My drawings: 50 \(bar 17 · dash 16 · ring 17\)/);
  await page.waitForFunction(() => [...document.querySelectorAll("#data-select option")].some((o) => /^my drawings · 50 pictures/.test(o.textContent) && !o.disabled), null, { timeout: 30_000 });
  const value = await page.$eval("#data-select", (s) => [...s.options].find((o) => /^my drawings/.test(o.textContent)).value);
  await page.selectOption("#data-select", value);
  await page.waitForFunction(() => /use “my drawings” \(50 pictures; 10 test images of “my drawings”\)/.test((document.querySelector(".data-in-use")?.textContent ?? "")), null, { timeout: 30_000 });

  // Fifty drawings would be one step an epoch at the digits' batch: the page chose a smaller
  // batch and more epochs for them (40 training pictures: batch 8, 60 epochs, 300 steps).
  await page.waitForFunction(() => /^Batch 8 and 60 epochs were chosen for 40 training pictures/.test(document.querySelector(".small-set-pace")?.textContent ?? ""));
  assert.match(await page.textContent(".training-strip .strip-what"), /60 epochs on “my drawings”$/);

  // Trained on: the scatter's legend names the three symbols, and the codes keep them apart:
  // most test drawings have their nearest code (leave one out, all dimensions) in their own
  // class, where chance is about a third.
  await page.waitForSelector(".training-strip .strip-start:not([disabled])", { timeout: 60_000 });
  await page.click(".training-strip .strip-start");
  await page.waitForFunction(() => document.querySelector(".training-strip").dataset.state === "finished", null, { timeout: 120_000 });
  await page.locator(".scatter-panel").scrollIntoViewIfNeeded();
  await page.waitForFunction(() => [...document.querySelectorAll(".scatter-panel .legend li")].map((l) => l.textContent).join(",") === "bar,dash,ring", null, { timeout: 30_000 });
  await page.waitForSelector(".scatter-panel .agreement[data-share]", { timeout: 30_000 });
  const agreement = await page.textContent(".scatter-panel .agreement");
  assert.match(agreement, /^Of the 10 test pictures, \d+% have their nearest code \(in all \d+ dimensions, not only the two drawn\) in their own class; by chance, 3\d%\.$/);
  const share = Number(await page.getAttribute(".scatter-panel .agreement", "data-share"));
  assert.ok(share >= 0.8, `only ${share} of the test drawings sit beside their own kind: ${agreement}`);
  await page.locator(".scatter-panel").screenshot({ path: `${results}drawings-scatter.png` });
  assert.deepEqual(errors, []);
  await context.close();
});
