// How long the worker takes to answer a command while training: Pause until the page shows the
// paused state (what is left of the piece of work under way, plus the message round trip), in ms.
// Shared by the benchmarks that time it (train.mjs, import.mjs).
export function pauseAnswered(page) {
  return page.evaluate(
    () =>
      new Promise((resolve) => {
        const text = document.querySelector(".progress-text");
        const t0 = performance.now();
        new MutationObserver((_, observer) => {
          if (text.dataset.state === "paused") {
            observer.disconnect();
            resolve(performance.now() - t0);
          }
        }).observe(text, { attributes: true });
        document.querySelector(".training-buttons .pause").click();
      }),
  );
}
