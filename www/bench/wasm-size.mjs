// Where a wasm file's bytes go: every function body's size by name, largest first, and the
// totals by the crate or module path the names start with. Names need the name section: build
// with `LATENT_LAB_KEEP_NAMES=1 trunk build --release` (the page's is stripped otherwise).
//
// Usage: node www/bench/wasm-size.mjs dist/app_bg.wasm [top] [--json]

import { statSync } from "node:fs";
import { codeGroup, wasmFunctions } from "./wasm-functions.mjs";

const [file, topArg] = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const top = Number(topArg ?? 40);
const { functions: rows, named } = wasmFunctions(file);
rows.sort((a, b) => b.size - a.size);
const total = rows.reduce((s, r) => s + r.size, 0);
// Group by the first path segments a demangled name gives (`latent_lab::ui::factors::…`).
const groups = new Map();
for (const r of rows) groups.set(codeGroup(r.name), (groups.get(codeGroup(r.name)) ?? 0) + r.size);
const grouped = [...groups].sort((a, b) => b[1] - a[1]);
if (process.argv.includes("--json")) {
  console.log(JSON.stringify({ file, code_bytes: total, functions: rows.length, groups: Object.fromEntries(grouped) }));
} else {
  console.log(`${file}: ${statSync(file).size} bytes, ${total} in ${rows.length} function bodies${named ? "" : " (no names: build with LATENT_LAB_KEEP_NAMES=1)"}`);
  for (const [key, size] of grouped.slice(0, top)) console.log(`${String(size).padStart(9)}  ${key}`);
  console.log("largest functions:");
  for (const r of rows.slice(0, top)) console.log(`${String(r.size).padStart(9)}  ${r.name.slice(0, 150)}`);
}
