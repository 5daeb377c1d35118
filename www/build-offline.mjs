// trunk's post-build hook (Trunk.toml): writes the service worker (www/sw.js) into the build
// with the build's name and the list of its files, so the offline copy holds exactly this build.
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
