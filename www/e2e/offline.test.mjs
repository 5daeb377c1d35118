// End to end: the offline copy (src/ui/offline.rs, www/sw.js). A second visit works with the
// network cut; a new build served is what the next visit without an open page of the old one
// runs, whole, and never a mix of the two. Service workers are allowed here only (harness).

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { open, pixelsOf, progress, startTraining, useApp, waitForPage, reload } from "./harness.mjs";

const app = useApp();
const inked = async (page, selector) => (await pixelsOf(page, selector)).filter((v) => v > 0.5).length;
const dist = (file) => fileURLToPath(new URL(`../../dist/${file}`, import.meta.url));

/** A context whose pages may use service workers, with this build kept offline after a first
 * visit (its page is returned, still open). */
async function firstVisit() {
  const context = await app.browser.newContext({ serviceWorkers: "allow" });
  const { page, errors } = await open(context, app);
  await page.waitForSelector('.offline[data-kept="true"]', { timeout: 90_000 });
  assert.match(await page.textContent(".offline"), /kept in your browser/);
  return { context, page, errors };
}

/** In the page: the text of `file` as this page's service worker answers it. */
const served = (page, file) => page.evaluate((f) => fetch(f).then((r) => r.text()), file);

/** Waits until the service worker of `build` is in charge. The browser activates a waiting worker a
 * moment after the last page of the old build has gone, not when `page.close()` returns; a visit
 * begun in between is rightly still the old build's (CI once caught exactly that race). The new
 * worker's activation leaves only its own copy, which any worker of the origin can see. */
async function waitForActivation(context, build, { timeout = 60_000 } = {}) {
  const deadline = Date.now() + timeout;
  const only = (key) => caches.keys().then((k) => k.length === 1 && k[0] === key);
  for (;;) {
    for (const worker of context.serviceWorkers()) {
      // A worker the browser has just stopped cannot answer: ask the others, then ask again.
      if (await worker.evaluate(only, `latent-lab-${build}`).catch(() => false)) return;
    }
    if (Date.now() > deadline) throw new Error(`the service worker of build ${build} was not active after ${timeout} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Serves the next build from now on: the same files but a worker loader ending in `marker`, so
 * a new sw.js named `build` (as build-offline.mjs would write). Returns the undo. */
function serveNextBuild(marker, build) {
  const loader = readFileSync(dist("worker_loader.js"), "utf8");
  const sw = readFileSync(dist("sw.js"), "utf8");
  const current = /const BUILD = "([0-9a-f]+)"/.exec(sw)[1];
  app.server.overrides["/worker_loader.js"] = { body: Buffer.from(`${loader}\n/* ${marker} */\n`) };
  app.server.overrides["/sw.js"] = { body: Buffer.from(sw.replace(current, build)) };
  return () => {
    delete app.server.overrides["/worker_loader.js"];
    delete app.server.overrides["/sw.js"];
  };
}

test("the page can be installed: Chromium finds nothing missing but a profile of its own", async () => {
  const { context, page } = await firstVisit();
  const cdp = await context.newCDPSession(page);
  const manifest = await cdp.send("Page.getAppManifest");
  assert.deepEqual(manifest.errors, [], "the manifest reads cleanly");
  const { installabilityErrors } = await cdp.send("Page.getInstallabilityErrors");
  // A test's browser context is incognito-like, where nothing installs; that is all it may say.
  assert.deepEqual(installabilityErrors.map((e) => e.errorId).filter((id) => id !== "in-incognito"), []);
  await context.close();
});

test("a second visit opens, explores and trains with the network cut", async () => {
  const { context, page, errors } = await firstVisit();
  await context.setOffline(true);
  // DevTools' offline mode holds back what pages and workers ask for, not the browser's own
  // check for a newer sw.js (on a navigation, and on the page's register()): that one reaches
  // the server, and is cut here as the network would cut it.
  app.server.overrides["/sw.js"] = { drop: true };
  const asked = app.server.requests.length;
  const askedByThePage = () => app.server.requests.slice(asked).filter((path) => path !== "/sw.js");
  try {
    await secondVisitOffline(page);
    assert.deepEqual(askedByThePage(), [], "nothing the page asked for reached the server");
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
    delete app.server.overrides["/sw.js"];
  }
});

/** The second visit of the test above, in `page` with the network cut. */
async function secondVisitOffline(page) {
  await reload(page);
  await page.waitForSelector('.model-info[data-status="ready"]', { timeout: 60_000 });
  assert.ok((await inked(page, ".big-digit canvas.digit")) > 40, "a decoded digit");
  const option = "pretrained:mlp-vae-z16";
  await page.selectOption("#model-select", option);
  await page.waitForSelector(`.model-info[data-model="${option}"][data-status="ready"]`);
  // The digits came from the copy too: training starts and runs.
  await startTraining(page, { epochs: 1 });
  await page.waitForFunction(() => /step ([3-9]|\d{2,})/.test(document.querySelector(".progress-text").textContent), null, { timeout: 60_000 });
  assert.ok((await progress(page)).step >= 3);
  // The helper came from the copy with its role: a worker's location is the URL of the response
  // its script came in (www/sw.js), and a helper whose query was lost on the way started as a
  // second training worker, which trained nothing and left the trainer alone.
  const roles = page.workers().map((w) => new URL(w.url()).searchParams.get("role") ?? "training").sort();
  assert.deepEqual(roles, ["helper", "training"]);
  // The page registers its service worker again; with the check for a newer one cut, the copy
  // it runs from is still kept.
  await page.waitForSelector('.offline[data-kept="true"]', { timeout: 60_000 });
}

test("a new build is what the next visit runs, whole, once no page of the old one is open", async () => {
  const { context, page } = await firstVisit();
  const undo = serveNextBuild("the next build", "0123456789abcdef");
  try {
    await page.close();
    // The next visit: still the kept build, all of it, while the new one is fetched beside it.
    const second = await context.newPage();
    await second.goto(app.server.url);
    await second.waitForSelector('.model-info[data-status="ready"]', { timeout: 60_000 });
    assert.doesNotMatch(await served(second, "worker_loader.js"), /the next build/);
    await waitForPage(second, () => navigator.serviceWorker.getRegistration().then((r) => Boolean(r?.waiting)));
    assert.doesNotMatch(await served(second, "worker_loader.js"), /the next build/, "a page keeps its build while the next waits");
    await second.waitForSelector(".update-notice:not([hidden])");
    assert.match(await second.textContent(".update-notice"), /A new version of Latent Lab is ready: it runs from your next visit/);
    await second.close();

    // With no page of the old build open, the waiting build takes over and drops the old copy;
    // the next visit runs the new one.
    await waitForActivation(context, "0123456789abcdef");
    const third = await context.newPage();
    await third.goto(app.server.url);
    await third.waitForSelector('.model-info[data-status="ready"]', { timeout: 60_000 });
    assert.match(await served(third, "worker_loader.js"), /the next build/);
    assert.ok((await inked(third, ".big-digit canvas.digit")) > 40, "a decoded digit");
  } finally {
    undo();
    await context.close();
  }
});

test("\"Use it now\" reloads the page into the waiting build", async () => {
  const { context, page } = await firstVisit();
  const undo = serveNextBuild("the build after", "fedcba9876543210");
  try {
    // A reload is a visit that finds the new sw.js; the page open keeps the kept build.
    await reload(page);
    await page.waitForSelector(".update-notice:not([hidden])", { timeout: 60_000 });
    assert.doesNotMatch(await served(page, "worker_loader.js"), /the build after/);
    await Promise.all([page.waitForEvent("load", { timeout: 60_000 }), page.click(".update-notice .use-new-build")]);
    await page.waitForSelector('.model-info[data-status="ready"]', { timeout: 60_000 });
    assert.match(await served(page, "worker_loader.js"), /the build after/);
    assert.equal(await page.locator(".update-notice").isHidden(), true, "no notice once it runs");
  } finally {
    undo();
    await context.close();
  }
});
