// End to end on a phone: a 390×844 touch screen (Chromium's mobile emulation), driven with real
// touch input (DevTools' Input.dispatchTouchEvent, which scrolls the page as a finger would).
// Drawing on the pad must draw, not scroll; a slider follows a finger; nothing is wider than
// the screen; the text stays legible.

import { test } from "node:test";
import assert from "node:assert/strict";
import { pixelsOf, results, useApp, readThrough } from "./harness.mjs";

const app = useApp();
const PHONE = { width: 390, height: 844 };

/** A page on an emulated phone with the app loaded, and a finger on its screen. */
async function openPhone() {
  const context = await app.browser.newContext({ viewport: PHONE, hasTouch: true, isMobile: true, deviceScaleFactor: 3 });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(app.server.url);
  await page.waitForSelector('.model-info[data-status="ready"]', { timeout: 60_000 });
  await readThrough(page);
  const cdp = await context.newCDPSession(page);
  /** Touches the screen at the first point (CSS pixels of the viewport), slides through the
   * others, lifts. */
  const swipe = async (points) => {
    const touch = (type, [x, y]) => cdp.send("Input.dispatchTouchEvent", { type, touchPoints: type === "touchEnd" ? [] : [{ x, y }] });
    await touch("touchStart", points[0]);
    for (const p of points.slice(1)) {
      // A finger's pace: one move a frame. (Moves sent back to back are not seen as a fling,
      // and the page does not scroll at all.)
      await new Promise((r) => setTimeout(r, 16));
      await touch("touchMove", p);
    }
    await touch("touchEnd", points[points.length - 1]);
  };
  return { context, page, errors, swipe };
}

/** `count` points from `from` to `to`. */
const line = ([x0, y0], [x1, y1], count = 12) =>
  Array.from({ length: count + 1 }, (_, i) => [x0 + ((x1 - x0) * i) / count, y0 + ((y1 - y0) * i) / count]);

/** The element's box, after it is scrolled to the middle of the screen. */
async function boxInView(page, selector) {
  await page.locator(selector).evaluate((e) => e.scrollIntoView({ block: "center" }));
  return page.locator(selector).evaluate((e) => {
    const r = e.getBoundingClientRect();
    return { x: r.x, y: r.y, width: r.width, height: r.height };
  });
}

/** Resolves to the page's scroll position once it has not moved for ten frames. */
const scrollSettled = (page) =>
  page.evaluate(
    () =>
      new Promise((resolve) => {
        let [last, still] = [window.scrollY, 0];
        const frame = () => {
          still = window.scrollY === last ? still + 1 : 0;
          last = window.scrollY;
          if (still >= 10) resolve(last);
          else requestAnimationFrame(frame);
        };
        requestAnimationFrame(frame);
      }),
  );

test("on a touch screen a finger on the page scrolls it, and on the pad it draws without scrolling", async () => {
  const { context, page, errors, swipe } = await openPhone();
  // Control: the same gesture on the page's text scrolls it (so the emulation scrolls at all).
  // From the top of the page, a swipe up over its text (not a control, which may keep the touch).
  assert.equal(await page.evaluate(() => document.elementFromPoint(200, 700).closest("canvas, input, svg")), null);
  await swipe(line([200, 700], [200, 260]));
  await page.waitForFunction(() => window.scrollY > 100);

  // A fling goes on after the finger lifts: let it end before the pad is scrolled to.
  await scrollSettled(page);
  const pad = await boxInView(page, "canvas.pad");
  const top = await scrollSettled(page);
  const at = ([x, y]) => [pad.x + (x / 280) * pad.width, pad.y + (y / 280) * pad.height];
  await swipe(line([150, 40], [138, 240]).map(at));
  await page.waitForFunction(() => /nats/.test(document.querySelector(".score").textContent));
  assert.equal(await page.evaluate(() => window.scrollY), top, "drawing on the pad did not scroll the page");
  const drawn = (await pixelsOf(page, ".drawn canvas.digit")).filter((v) => v > 0.5).length;
  assert.ok(drawn > 10, `the stroke drew ${drawn} pixels`);
  await page.screenshot({ path: `${results}phone-touch-drawn.png` });
  assert.deepEqual(errors, []);
  await context.close();
});

test("on a touch screen a slider follows a finger", async () => {
  const { context, page, swipe } = await openPhone();
  const slider = await boxInView(page, "#z-1");
  const y = slider.y + slider.height / 2;
  const before = await page.locator(".big-digit canvas.digit").evaluate((c) => c.toDataURL());
  await swipe(line([slider.x + slider.width / 2, y], [slider.x + slider.width * 0.95, y]));
  const z1 = Number(await page.inputValue("#z-1"));
  assert.ok(z1 > 2, `z1 moved to ${z1}`);
  const after = await page.locator(".big-digit canvas.digit").evaluate((c) => c.toDataURL());
  assert.notEqual(after, before, "the digit changed");
  await context.close();
});

test("on a phone every section fits the screen's width and its text stays legible", async () => {
  const { context, page } = await openPhone();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
  // Every element wider than the screen, and every visible text smaller than 12 CSS pixels (the
  // page sets no viewport zoom a reader could not undo, but text that needs zooming is a bug).
  const problems = await page.evaluate(() => {
    const out = [];
    for (const e of document.querySelectorAll("body *")) {
      const r = e.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      if (r.right > window.innerWidth + 1 && getComputedStyle(e).position !== "fixed") {
        out.push(`${e.tagName.toLowerCase()}.${e.className} reaches ${Math.round(r.right)}px`);
      }
      const text = [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim().length > 0);
      const size = parseFloat(getComputedStyle(e).fontSize);
      if (text && size < 12) out.push(`"${e.textContent.trim().slice(0, 30)}" is ${size}px`);
    }
    return out;
  });
  assert.deepEqual(problems, []);
  await page.screenshot({ path: `${results}phone-touch.png`, fullPage: true });
  await context.close();
});
