// Every chapter of the page is built once a reader comes near it (src/ui/later.rs). Tests and
// benchmarks that use the chapters read through the page first, as a person scrolling does.

/** Scrolls through `page` (Playwright) until every chapter is built, then back to the top. */
export async function readThrough(page) {
  await page.waitForFunction(() => {
    window.scrollTo(0, document.documentElement.scrollHeight);
    // The About chapter, in the footer, is the last one.
    return document.querySelector(".chapter-place") === null && document.querySelector("footer .about") !== null;
  }, null, { timeout: 60_000, polling: 100 });
  await page.evaluate(() => window.scrollTo(0, 0));
}
