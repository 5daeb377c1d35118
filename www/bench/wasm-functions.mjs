// A wasm file's functions: each body's index (in the module's function index space, imports
// first, as V8's traces number them), size and name (from the name section, when the build kept
// it: `LATENT_LAB_KEEP_NAMES=1`). Used by wasm-size.mjs, startup.mjs and tiering.mjs.

import { readFileSync } from "node:fs";

/** `{ functions: [{ index, size, name }], named }` for the wasm file at `file`. */
export function wasmFunctions(file) {
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
  const functions = bodies.map((size, i) => ({ index: i + imported, size, name: names.get(i + imported) ?? `#${i + imported}` }));
  return { functions, named: names.size > 0 };
}

/** The crate, or for the app's own code its module, a demangled name comes from
 * (`latent_lab::ui::factors`, `tachys`). */
export function codeGroup(name) {
  const path = name.replace(/^<|^_</, "").split("::");
  return path[0] === "latent_lab" ? path.slice(0, 3).join("::") : path[0];
}
