// Accessibility, audited in every state a person meets: axe-core (npm) run over the whole page
// on the first screen with every "why?" opened, after a drawing, while training, with messages
// showing (a refused file, a paused run), and on a phone. Each state must have no violation of
// serious or critical impact; the others are printed so they are seen.

import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { audit, drawStroke, open, progress, startTraining, useApp } from "./harness.mjs";

const app = useApp();
test("the first screen, every explanation opened, has no serious accessibility violation", async () => {
  const context = await app.browser.newContext();
  const { page } = await open(context, app);
  await page.evaluate(() => document.querySelectorAll("details").forEach((d) => (d.open = true)));
  await audit(page, "first screen");
  await context.close();
});

test("after a drawing, and with a refused file's message, nothing serious is found", async () => {
  const context = await app.browser.newContext();
  const { page } = await open(context, app);
  await drawStroke(page, [[150, 40], [146, 90], [142, 150], [138, 240]]);
  await page.waitForFunction(() => /nats/.test(document.querySelector(".score").textContent));
  await audit(page, "after a drawing");
  // The pictures' text alternatives say what they show now: the score, the code.
  assert.match(await page.getAttribute(".reconstruction canvas", "aria-label"), /reconstruction of the input: −ELBO \d+\.\d nats/);
  assert.match(await page.getAttribute(".big-digit canvas", "aria-label"), /decoded from the sliders' z = \(-?\d\.\d, -?\d\.\d\)/);
  const bad = join(tmpdir(), "latent-lab-a11y-not-a-model.safetensors");
  writeFileSync(bad, "not weights");
  await page.setInputFiles("#model-file", bad);
  await page.waitForFunction(() => /was not loaded/.test(document.querySelector(".library-message").textContent));
  await audit(page, "a refused file's message");
  await context.close();
});

test("while training and once paused, nothing serious is found", async () => {
  const context = await app.browser.newContext();
  const { page } = await open(context, app);
  await startTraining(page, { epochs: 2 });
  await page.waitForFunction(() => /step \d{2,}/.test(document.querySelector(".progress-text").textContent), null, { timeout: 60_000 });
  await audit(page, "while training");
  await page.click(".training-buttons .pause");
  await page.waitForFunction(() => document.querySelector(".progress-text").dataset.state === "paused");
  assert.ok((await progress(page)).step > 0);
  await audit(page, "paused");
  await context.close();
});

test("on a phone, nothing serious is found", async () => {
  const context = await app.browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });
  const { page } = await open(context, app);
  await audit(page, "phone");
  await context.close();
});

test("with reduced motion asked for, wandering shows a point a second instead of moving", async () => {
  const distinctCodesOverASecond = async (page) =>
    page.evaluate(
      () =>
        new Promise((resolve) => {
          const seen = new Set();
          let frames = 0;
          const frame = () => {
            seen.add([...document.querySelectorAll('.sliders input[type="range"]')].map((i) => i.value).join(","));
            if (++frames < 60) requestAnimationFrame(frame);
            else resolve(seen.size);
          };
          requestAnimationFrame(frame);
        }),
    );
  for (const [reducedMotion, check] of [
    ["reduce", (n) => n <= 3],
    ["no-preference", (n) => n >= 20],
  ]) {
    const context = await app.browser.newContext({ reducedMotion });
    const { page } = await open(context, app);
    await page.click("button:text-is('Wander')");
    await page.waitForSelector("button[aria-pressed='true']:text-is('Stop wandering')");
    const distinct = await distinctCodesOverASecond(page);
    assert.ok(check(distinct), `${reducedMotion}: ${distinct} different codes in 60 frames`);
    await context.close();
  }
});

test("every control is reached with Tab and shows where the focus is", async () => {
  const context = await app.browser.newContext();
  const { page } = await open(context, app);
  /** Presses Tab round the page once: until the focus comes back to the first control it
   * reached (at most `cap` presses). Resolves to each stop's control, once. */
  const roundThePage = async (cap) => {
    const stops = [];
    for (let i = 0; i < cap; i++) {
      await page.keyboard.press("Tab");
      const focus = await page.evaluate(() => {
        const e = document.activeElement;
        if (!e || e === document.body) return null;
        const style = getComputedStyle(e);
        const shows = (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== "none";
        e.dataset.a11yReached ??= String(document.querySelectorAll("[data-a11y-reached]").length);
        return { id: e.dataset.a11yReached, what: `${e.tagName.toLowerCase()}${e.id ? "#" + e.id : ""}.${e.className}`, shows };
      });
      if (!focus) continue;
      if (focus.id === stops[0]?.id) break;
      stops.push(focus);
    }
    return stops;
  };
  // Panels draw themselves when first scrolled into view (src/ui/visibility.rs), and some start
  // work then: a first round lets all of them, so the second meets the page as it stays.
  await roundThePage(400);
  // Work they started (a button reading "Comparing…" is disabled until it ends) has ended.
  await page.waitForFunction(() => ![...document.querySelectorAll("button")].some((b) => b.disabled && /…$/.test(b.textContent.trim())), null, { timeout: 60_000 });
  await page.evaluate(() => document.querySelectorAll("[data-a11y-reached]").forEach((e) => delete e.dataset.a11yReached));
  const stops = await roundThePage(400);
  const unseen = stops.filter((s) => !s.shows).map((s) => s.what);
  assert.deepEqual(unseen, [], "controls whose focus cannot be seen");
  // Every control a person can see and use was a stop; a group of radio buttons is one stop
  // (its arrows move within it), made by its checked button.
  const missed = await page.evaluate(() => {
    const all = document.querySelectorAll("a[href], button, input, select, textarea, summary, [tabindex]:not([tabindex='-1'])");
    const usable = [...all].filter((e) => !e.disabled && e.getClientRects().length > 0 && getComputedStyle(e).visibility !== "hidden");
    const stops = usable.filter((e) => e.type !== "radio" || e.checked || !usable.some((r) => r.type === "radio" && r.name === e.name && r.checked));
    return stops.filter((e) => e.dataset.a11yReached === undefined).map((e) => e.outerHTML.slice(0, 120));
  });
  assert.deepEqual(missed, [], "controls Tab does not reach");
  assert.ok(stops.length > 40, `${stops.length} stops`);
  await context.close();
});
