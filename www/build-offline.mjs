// trunk's post-build hook (Trunk.toml): puts the inline style sheet's hash in the page's
// Content-Security-Policy, then writes the service worker (www/sw.js) into the build with the
// build's name and the list of its files, so the offline copy holds exactly this build.
// The name is a hash of every file's path and bytes: the same sources give the same sw.js, and
// any change gives a new one, which is how browsers learn that there is an update.

import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

const staging = process.env.TRUNK_STAGING_DIR ?? process.argv[2];
if (!staging) {
  console.error("build-offline: run by trunk (TRUNK_STAGING_DIR), or give the build's folder");
  process.exit(2);
}

// The style sheet is inlined (index.html): admit exactly it in the page's policy, by its hash.
const page = join(staging, "index.html");
const html = readFileSync(page, "utf8");
const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)];
const marker = "'__STYLE_HASH__'";
if (styles.length !== 1 || html.split(marker).length !== 2) {
  console.error(`build-offline: index.html must hold one inline <style> and one ${marker} in its policy to admit it by`);
  process.exit(1);
}
const styleHash = `sha256-${createHash("sha256").update(styles[0][1]).digest("base64")}`;
writeFileSync(page, html.replace(marker, `'${styleHash}'`));

const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else files.push(relative(staging, path).split(sep).join("/"));
  }
};
walk(staging);
const kept = files.filter((f) => f !== "sw.js");

const hash = createHash("sha256");
for (const f of kept) hash.update(f).update("\0").update(readFileSync(join(staging, f)));
const build = hash.digest("hex").slice(0, 16);

// The page itself is kept as "./", the address it is opened at; index.html is that file.
const list = ["./", ...kept.filter((f) => f !== "index.html")];
const template = readFileSync(fileURLToPath(new URL("./sw.js", import.meta.url)), "utf8");
const sw = template.replace("__LATENT_LAB_BUILD__", build).replace("__LATENT_LAB_FILES__", JSON.stringify(list, null, 2));
writeFileSync(join(staging, "sw.js"), sw);
console.error(`build-offline: sw.js keeps build ${build} (${list.length} files)`);
