// Starts the training worker: trunk builds it as `worker.js` (wasm-bindgen's no-modules glue)
// and `worker_bg.wasm`. The page starts this loader as `worker_loader.js`, or, when the worker it
// got first spoke another protocol version (an old copy kept by a cache), as
// `worker_loader.js?fresh=<token>`: the token is passed on to the glue and the wasm so that none
// of the three can come from that cache (src/ui/training/supervisor.rs); every later worker,
// the import worker (`?role=import&fresh=<token>`) included, is loaded with the same token.
//
// A helper (`?role=helper`, `HELPER_ROLE` in src/protocol/mod.rs) is started by a training
// worker, which sends it its own compiled module first (src/worker/helper_worker.rs): the
// helper neither downloads nor compiles the 4 MB of wasm a second time.
const params = new URL(self.location.href).searchParams;
const fresh = params.get("fresh");
const bust = fresh ? `?fresh=${encodeURIComponent(fresh)}` : "";
importScripts(`./worker.js${bust}`);
if (params.get("role") === "helper") {
  self.onmessage = (event) => {
    self.onmessage = null;
    wasm_bindgen({ module_or_path: event.data });
  };
} else {
  wasm_bindgen({ module_or_path: `./worker_bg.wasm${bust}` });
}
