import { serve } from "./e2e/server.mjs";
import { launch } from "./e2e/browser.mjs";
const server = await serve("/work/main/dist/");
const browser = await launch();
for (const [w, h, name] of [[1280, 900, "desk"], [390, 844, "phone"]]) {
  const page = await browser.newPage({ viewport: { width: w, height: h } });
  await page.goto(server.url);
  await page.waitForSelector('.model-info[data-status="ready"]', { timeout: 60_000 });
  await page.waitForFunction(() => document.querySelector(".plane-dots")?.dataset.dots === "2000", null, { timeout: 30000 }).catch(() => console.log("no dots"));
  await page.screenshot({ path: `/tmp/${name}.png` });
  if (name === "phone") { await page.evaluate(() => window.scrollTo(0, 700)); await page.screenshot({ path: `/tmp/${name}2.png` }); }
  console.log(name, await page.evaluate(() => [document.documentElement.scrollHeight, document.documentElement.scrollWidth]));
  await page.close();
}
await browser.close(); await server.close();
