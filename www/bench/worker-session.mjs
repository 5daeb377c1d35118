// A DevTools session of one of a page's workers, reached through the browser's session (a
// worker's own target, which playwright does not open a CDP session on), for the profiling
// benchmarks (profile.mjs, run-profile.mjs).

/**
 * `send(method, params)` for the worker target `targetId` of `browser`: resolves to the
 * protocol's answer (`{ id, result }` or `{ id, error }`).
 */
export async function workerSession(browser, targetId) {
  const session = await browser.newBrowserCDPSession();
  const { sessionId } = await session.send("Target.attachToTarget", { targetId, flatten: false });
  let nextId = 0;
  const pending = new Map();
  session.on("Target.receivedMessageFromTarget", (event) => {
    const message = JSON.parse(event.message);
    pending.get(message.id)?.(message);
    pending.delete(message.id);
  });
  return (method, params = {}) =>
    new Promise((resolve) => {
      const id = ++nextId;
      pending.set(id, resolve);
      session.send("Target.sendMessageToTarget", { sessionId, message: JSON.stringify({ id, method, params }) });
    });
}
