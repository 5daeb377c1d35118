import { fileURLToPath } from "node:url";
import { serve } from "./e2e/server.mjs";
import { launch } from "./e2e/browser.mjs";
const server = await serve(fileURLToPath(new URL("../dist/", import.meta.url)));
const browser = await launch();
for (const [w, h, name] of [[1280, 900, "desk"], [390, 844, "phone"]]) {
  const page = await browser.newPage({ viewport: { width: w, height: h } });
  await page.goto(server.url);
  await page.waitForSelector('.model-info[data-status="ready"]', { timeout: 60000 });
  await page.waitForTimeout(1500);
  await page.screenshot({ path: `/tmp/shots/${name}-top.png` });
  await page.evaluate(() => document.querySelector(".strip-more")?.click());
  await page.waitForTimeout(1500);
  await page.screenshot({ path: `/tmp/shots/${name}-training.png` });
  await page.close();
}
await browser.close();
await server.close();
