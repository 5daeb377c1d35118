// The service worker that keeps Latent Lab working offline: it keeps every file of one build
// (the app, its workers, the pretrained models, the digits) in a cache named after that build,
// and answers the page's requests from it.
//
// trunk's post-build hook (www/build-offline.mjs) writes the build's name and its file list in
// place of the two markers below. A new build is a new sw.js: the browser installs it beside the
// old one (which keeps serving the open pages, so a page never mixes two builds) and it takes
// over once no page of the old build is open, the next visit; it then deletes the old cache.

const BUILD = "__LATENT_LAB_BUILD__";
const FILES = __LATENT_LAB_FILES__;
const CACHE = `latent-lab-${BUILD}`;

self.addEventListener("install", (event) => {
  // `reload`: the files come from the server, not from the browser's HTTP cache, which may still
  // hold the previous build's.
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(FILES.map((f) => new Request(f, { cache: "reload" })))));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys().then((keys) => Promise.all(keys.filter((k) => k.startsWith("latent-lab-") && k !== CACHE).map((k) => caches.delete(k)))),
  );
});

// The page's "Use it now" (src/ui/offline.rs): the waiting build takes over at once, and the
// page reloads into it.
self.addEventListener("message", (event) => {
  if (event.data === "take-over") self.skipWaiting();
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  event.respondWith(
    (async () => {
      const cache = await caches.open(CACHE);
      // A page of the app (a shared link carries its state in the query) is the app's page; the
      // `?fresh=` a page adds to reach past a stale HTTP cache names the same file of this build.
      const key = request.mode === "navigate" ? new URL("./", self.registration.scope).href : request;
      const kept = await cache.match(key, { ignoreSearch: true });
      if (!kept) return fetch(request);
      // A worker's location is the URL of the response its script came in: the kept file's
      // would drop the query (`worker_loader.js?role=helper` would start as a training worker).
      // A response made here has none, so the worker keeps the address it was started at.
      return request.destination === "worker" && url.search ? new Response(kept.body, kept) : kept;
    })(),
  );
});
