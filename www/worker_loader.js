// Starts the training worker: trunk builds it as `worker.js` (wasm-bindgen's no-modules glue)
// and `worker_bg.wasm`, and its post-build hook adds the threaded build, `worker_mt.js` and
// `worker_mt_bg.wasm` (tools/build-threads). The page starts this loader as `worker_loader.js`,
// or, when the worker it got first spoke another protocol version (an old copy kept by a cache),
// as `worker_loader.js?fresh=<token>`: the token is passed on to the glue and the wasm so that
// none of them can come from that cache (src/ui/training/supervisor.rs); every later worker,
// the import worker (`?role=import&fresh=<token>`) included, is loaded with the same token.
//
// A training worker takes the threaded build where its memory can be shared with a helper
// thread: a cross-origin isolated page, `SharedArrayBuffer`, two cores, and room for a shared
// memory of the build's maximum size; and where wasm's relaxed SIMD validates, as the threaded
// build multiplies and adds in one instruction (Chromium and Firefox have it; Safari rejects a
// module with one such instruction). Elsewhere it takes the plain build (which trains on one
// thread, or on two with copies through a buffer: src/worker/helper_link.rs). An import worker
// always takes the plain one.
//
// A helper (`?role=helper`, `HELPER_ROLE` in src/protocol/mod.rs) is started by a training
// worker, which sends it its own compiled module first (src/worker/helper_worker.rs): the
// helper neither downloads nor compiles the 4 MB of wasm a second time. The threaded build
// sends its memory with it, and the helper becomes a thread of the trainer's memory.
const params = new URL(self.location.href).searchParams;
const fresh = params.get("fresh");
const bust = fresh ? `?fresh=${encodeURIComponent(fresh)}` : "";
const role = params.get("role");
/** Loads one build's glue: they cannot both be loaded (each declares `wasm_bindgen`). */
const glue = (threaded) => importScripts(`./${threaded ? "worker_mt" : "worker"}.js${bust}`);

/** Whether this worker can run the threaded build (its memory's maximum: 1 GiB, 16,384 pages). */
function canRunThreaded() {
  if (self.crossOriginIsolated !== true || typeof SharedArrayBuffer !== "function") return false;
  if ((self.navigator?.hardwareConcurrency ?? 1) < 2) return false;
  if (!hasRelaxedSimd()) return false;
  try {
    new WebAssembly.Memory({ initial: 1, maximum: 16384, shared: true });
    return true;
  } catch {
    return false; // no address space for it (a 32-bit phone, say)
  }
}

/** Whether the engine takes wasm's relaxed SIMD: it validates a module whose one function is
 * `f32x4.relaxed_madd` of three zero vectors. */
function hasRelaxedSimd() {
  const zeros = [0xfd, 0x0c, ...new Array(16).fill(0)]; // v128.const 0
  const body = [0x00, ...zeros, ...zeros, ...zeros, 0xfd, 0x85, 0x02, 0x0b]; // relaxed_madd, end
  const type = [0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b]; // one type: [] → [v128]
  const func = [0x03, 0x02, 0x01, 0x00]; // one function, of that type
  const code = [0x0a, body.length + 2, 0x01, body.length, ...body];
  const header = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  return WebAssembly.validate(new Uint8Array([...header, ...type, ...func, ...code]));
}

if (role === "helper") {
  self.onmessage = (event) => {
    self.onmessage = null;
    const data = event.data;
    if (data instanceof WebAssembly.Module) {
      glue(false);
      wasm_bindgen({ module_or_path: data });
    } else {
      // An instance on the trainer's own memory runs no `main` (wasm-bindgen runs it on the
      // first thread only), so its entry is called here.
      glue(true);
      wasm_bindgen({ module_or_path: data.module, memory: data.memory })
        .then(() => wasm_bindgen.latent_lab_helper_start());
    }
  };
} else {
  let threaded = role !== "import" && canRunThreaded();
  if (threaded) {
    try {
      glue(true);
    } catch (e) {
      console.warn("the threaded worker could not be loaded; training without shared memory", e);
      threaded = false;
    }
  }
  if (!threaded) glue(false);
  const wasm = `./${threaded ? "worker_mt" : "worker"}_bg.wasm${bust}`;
  wasm_bindgen({ module_or_path: wasm });
}
