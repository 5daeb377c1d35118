// Where a wasm file's bytes go: every function body's size by name, largest first, and the
// totals by the crate or module path the names start with. Names need the name section: build
// with `LATENT_LAB_KEEP_NAMES=1 trunk build --release` (the page's is stripped otherwise).
//
// Usage: node www/bench/wasm-size.mjs dist/app_bg.wasm [top] [--json]

import { readFileSync } from "node:fs";

const [file, topArg] = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const top = Number(topArg ?? 40);
const bytes = readFileSync(file);
let at = 8;
const leb = () => {
  let result = 0, shift = 0, byte;
  do {
    byte = bytes[at++];
    result += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte & 0x80);
  return result;
};
let imported = 0;
const bodies = [];
const names = new Map();
while (at < bytes.length) {
  const id = bytes[at++];
  const size = leb();
  const end = at + size;
  if (id === 2) {
    // Imports: functions among them take the first indices.
    for (let n = leb(); n > 0; n--) {
      // Module and field names (`at += leb()` would add to the `at` read before `leb` moved it).
      for (let s = 0; s < 2; s++) {
        const length = leb();
        at += length;
      }
      const kind = bytes[at++];
      if (kind === 0) { leb(); imported++; }
      else if (kind === 1) { at++; const f = leb(); leb(); if (f & 1) leb(); }
      else if (kind === 2) { const f = leb(); leb(); if (f & 1) leb(); }
      else if (kind === 3) { at += 2; }
      else if (kind === 4) { at++; leb(); }
    }
  } else if (id === 10) {
    for (let n = leb(); n > 0; n--) {
      const len = leb();
      bodies.push(len);
      at += len;
    }
  } else if (id === 0) {
    const nameLen = leb();
    const name = bytes.subarray(at, at + nameLen).toString();
    at += nameLen;
    if (name === "name") {
      while (at < end) {
        const sub = bytes[at++];
        const subSize = leb();
        const subEnd = at + subSize;
        if (sub === 1) {
          for (let n = leb(); n > 0; n--) {
            const index = leb();
            const l = leb();
            names.set(index, bytes.subarray(at, at + l).toString());
            at += l;
          }
        }
        at = subEnd;
      }
    }
  }
  at = end;
}
const rows = bodies.map((size, i) => ({ size, name: names.get(i + imported) ?? `#${i + imported}` }));
rows.sort((a, b) => b.size - a.size);
const total = rows.reduce((s, r) => s + r.size, 0);
// Group by the first path segments a demangled name gives (`latent_lab::ui::factors::…`).
const groups = new Map();
for (const r of rows) {
  const path = r.name.replace(/^<|^_</, "").split("::");
  const key = path[0] === "latent_lab" ? path.slice(0, 3).join("::") : path[0];
  groups.set(key, (groups.get(key) ?? 0) + r.size);
}
const grouped = [...groups].sort((a, b) => b[1] - a[1]);
if (process.argv.includes("--json")) {
  console.log(JSON.stringify({ file, code_bytes: total, functions: rows.length, groups: Object.fromEntries(grouped) }));
} else {
  console.log(`${file}: ${bytes.length} bytes, ${total} in ${rows.length} function bodies${names.size ? "" : " (no names: build with LATENT_LAB_KEEP_NAMES=1)"}`);
  for (const [key, size] of grouped.slice(0, top)) console.log(`${String(size).padStart(9)}  ${key}`);
  console.log("largest functions:");
  for (const r of rows.slice(0, top)) console.log(`${String(r.size).padStart(9)}  ${r.name.slice(0, 150)}`);
}
