// A small W3C WebDriver client, and the three engines' drivers started on this machine.
//
// One protocol drives all three engines: chromedriver (Chromium), geckodriver (Firefox) and
// WebKitWebDriver (WebKitGTK's MiniBrowser, the engine of Safari). playwright-core drives only
// Chromium with stock browsers and puppeteer-core no WebKit, and a client library (such as
// selenium-webdriver) would bring its own driver-download machinery for the dozen commands the
// smoke suite needs; these are plain HTTP requests (https://www.w3.org/TR/webdriver2/).

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";

/** The key under which WebDriver returns an element reference. */
const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";

const MINIBROWSER = "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser";

/**
 * The engines: the driver to start (a command line, given a port) and the capabilities of a
 * session. `missing()` names what is not installed (tools/setup.sh --test installs all of it).
 */
export const ENGINES = {
  chromium: {
    missing: () => which(["chromedriver", "chromium"]),
    driver: (port) => ["chromedriver", [`--port=${port}`]],
    capabilities: {
      browserName: "chrome",
      "goog:chromeOptions": {
        binary: "/usr/bin/chromium",
        args: ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900"],
      },
    },
  },
  firefox: {
    missing: () => which(["geckodriver", "firefox-esr"]),
    driver: (port) => ["geckodriver", [`--port=${port}`]],
    capabilities: {
      browserName: "firefox",
      "moz:firefoxOptions": { binary: "/usr/bin/firefox-esr", args: ["-headless", "-width=1280", "-height=900"] },
    },
  },
  webkit: {
    missing: () => [...which(["WebKitWebDriver", "xvfb-run"]), ...(existsSync(MINIBROWSER) ? [] : [MINIBROWSER])],
    // MiniBrowser has no headless mode: it runs on a virtual display.
    driver: (port) => ["xvfb-run", ["-a", "-s", "-screen 0 1400x1000x24", "WebKitWebDriver", `--port=${port}`]],
    capabilities: {
      browserName: "MiniBrowser",
      "webkitgtk:browserOptions": { binary: MINIBROWSER, args: ["--automation"] },
    },
  },
};

/** The commands of `names` not on PATH. */
function which(names) {
  const dirs = (process.env.PATH ?? "").split(":");
  return names.filter((n) => !dirs.some((d) => existsSync(`${d}/${n}`)));
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Starts `engine`'s driver and a session in it; resolves to a {@link Session}. */
export async function startSession(engine) {
  const spec = ENGINES[engine];
  const port = await freePort();
  const [command, args] = spec.driver(port);
  // Its own process group, so that stopping it stops what it started (Xvfb, the browser).
  const driver = spawn(command, args, { detached: true, stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  driver.stderr.on("data", (d) => (log = (log + d).slice(-4000)));
  const base = `http://127.0.0.1:${port}`;
  const stop = () => {
    try {
      process.kill(-driver.pid, "SIGTERM");
    } catch {
      // Already gone.
    }
  };
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const ready = await fetch(`${base}/status`).then((r) => r.json()).then((s) => s.value?.ready, () => false);
      if (ready) break;
      if (driver.exitCode !== null || Date.now() > deadline) throw new Error(`${command} did not start: ${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const created = await request(base, "POST", "/session", { capabilities: { alwaysMatch: spec.capabilities } });
    return new Session(base, created.sessionId, stop);
  } catch (e) {
    stop();
    throw e;
  }
}

async function request(base, method, path, body) {
  const response = await fetch(base + path, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const reply = await response.json();
  if (!response.ok) {
    throw new Error(`WebDriver ${method} ${path}: ${reply.value?.error}: ${reply.value?.message}`);
  }
  return reply.value;
}

/** One browser session: the commands the smoke suite uses. */
export class Session {
  constructor(base, id, stop) {
    this.base = base;
    this.id = id;
    this.stopDriver = stop;
    /** Function declarations put before every script [`run`] sends, so its functions may call
     * them (the page's CSP forbids building functions from strings in the page). */
    this.prelude = "";
  }

  command(method, path, body) {
    return request(this.base, method, `/session/${this.id}${path}`, body);
  }

  go(url) {
    return this.command("POST", "/url", { url });
  }

  /** Runs `fn` (a function, serialised) in the page with `args`; resolves to what it returns
   * (a promise it returns is awaited). */
  run(fn, ...args) {
    return this.command("POST", "/execute/async", {
      script: `${this.prelude}
        const done = arguments[arguments.length - 1];
        Promise.resolve((${fn}).apply(null, Array.from(arguments).slice(0, -1)))
          .then((v) => done({ ok: v }), (e) => done({ error: String(e && e.stack || e) }));`,
      args,
    }).then((r) => {
      if (r && "error" in r) throw new Error(`in the page: ${r.error}`);
      return r?.ok;
    });
  }

  /** Polls `fn` in the page every `interval` ms until it returns something truthy; resolves
   * to it. */
  async waitFor(fn, args = [], { timeout = 60_000, what = String(fn), interval = 100, seen } = {}) {
    const deadline = Date.now() + timeout;
    for (;;) {
      const value = await this.run(fn, ...args);
      if (value) return value;
      if (Date.now() > deadline) {
        // What the page showed instead, when the caller says what to look at.
        const instead = seen ? `; the page showed ${JSON.stringify(await this.run(seen).catch((e) => String(e)))}` : "";
        throw new Error(`not true after ${timeout} ms: ${what}${instead}`);
      }
      await new Promise((r) => setTimeout(r, interval));
    }
  }

  /** Scrolls through the page as a reader does until every chapter is built (each is built
   * once a reader comes near it: src/ui/later.rs), then back to the top. */
  async readThrough() {
    await this.waitFor(() => {
      window.scrollTo(0, document.documentElement.scrollHeight);
      // The About chapter, in the footer, is the last one.
      return document.querySelector(".chapter-place") === null && document.querySelector("footer .about") !== null;
    }, [], { what: "every chapter built" });
    await this.run(() => window.scrollTo(0, 0));
  }

  async find(css) {
    const found = await this.command("POST", "/element", { using: "css selector", value: css });
    return found[ELEMENT];
  }

  /** Clicks the element as a person would (the driver moves the mouse to its centre), then
   * checks the press reached it: a press that landed on something else (the page moved under
   * the pointer) or on a disabled control fails here, naming what it reached, instead of as a
   * state that never comes. */
  async click(css) {
    await this.run((sel) => {
      document.querySelector(sel).scrollIntoView({ block: "center" });
      // Where the element and the page were before the press, and what moved on the page since
      // (layout shifts, where the engine reports them), to name the cause when a press misses.
      const where = () => {
        const r = document.querySelector(sel).getBoundingClientRect();
        return `box (${Math.round(r.x)}, ${Math.round(r.y)}) ${Math.round(r.width)}×${Math.round(r.height)}, scrolled ${Math.round(scrollX)}, ${Math.round(scrollY)}`;
      };
      window.__pressed = null;
      const shifts = [];
      let observer = null;
      try {
        observer = new PerformanceObserver((list) => {
          for (const e of list.getEntries()) {
            const moved = e.sources.map((s) => `${s.node?.nodeName ?? "?"}.${s.node?.className ?? ""} y ${Math.round(s.previousRect.y)}→${Math.round(s.currentRect.y)}`);
            shifts.push(`${e.value.toFixed(3)} [${moved.join("; ")}]`);
          }
        });
        observer.observe({ type: "layout-shift" });
      } catch {
        // Not every engine reports layout shifts.
      }
      const before = where();
      addEventListener(
        "pointerdown",
        (e) => {
          const t = e.target;
          observer?.disconnect();
          window.__pressed = {
            onTarget: t instanceof Element && t.closest(sel) === document.querySelector(sel),
            what: t instanceof Element ? `<${t.localName} class="${t.className}">${(t.textContent ?? "").slice(0, 40)}` : String(t),
            disabled: Boolean(t.disabled),
            moved: `pressed at (${Math.round(e.clientX)}, ${Math.round(e.clientY)}); before: ${before}; at the press: ${where()}; layout shifts meanwhile: ${shifts.join(", ") || "none reported"}`,
          };
        },
        { capture: true, once: true },
      );
    }, css);
    await this.command("POST", `/element/${await this.find(css)}/click`, {});
    const pressed = await this.waitFor(() => window.__pressed, [], { timeout: 10_000, what: `a press from clicking ${css}` });
    if (!pressed.onTarget || pressed.disabled) {
      throw new Error(`clicking ${css} pressed ${pressed.what}${pressed.disabled ? " (disabled)" : ""}; ${pressed.moved}`);
    }
  }

  /** Types `text` into the element (for a file input: a file's path, which it then holds). */
  async type(css, text) {
    return this.command("POST", `/element/${await this.find(css)}/value`, { text });
  }

  /** A mouse gesture: press at the first point, move through the others, release. Points are in
   * CSS pixels of the viewport. */
  drag(points) {
    const [first, ...rest] = points.map(([x, y]) => ({ x: Math.round(x), y: Math.round(y) }));
    const move = (p, duration) => ({ type: "pointerMove", origin: "viewport", duration, ...p });
    return this.command("POST", "/actions", {
      actions: [
        {
          type: "pointer",
          id: "mouse",
          parameters: { pointerType: "mouse" },
          actions: [
            move(first, 0),
            { type: "pointerDown", button: 0 },
            ...rest.map((p) => move(p, 20)),
            { type: "pointerUp", button: 0 },
          ],
        },
      ],
    });
  }

  async quit() {
    try {
      await this.command("DELETE", "");
    } finally {
      this.stopDriver();
    }
  }
}
