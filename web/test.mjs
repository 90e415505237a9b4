// The browser build, end to end, as an attendee's laptop would run it (.ci/run runs this
// after web/build.sh). Serves web/dist with Python's static server (what docs/WEB.md tells
// an instructor to use), opens `?demo=expert` in headless Chromium with SwiftShader's
// WebGL2, and checks what a person would see:
//   - the not-for-clinical-use notice before the program has loaded;
//   - the end of the procedure: not blank, the red banner, an X-ray on the monitor;
//   - the debrief: the page title "fluorohip: debrief: PASS ...", a green verdict.
// Prints the figures docs/WEB.md quotes (sizes, load and first-frame times, shot times).
//
//   node web/test.mjs            (PLAYWRIGHT_CORE: path to playwright-core if not in web/node_modules;
//                                 CHROMIUM: the browser, default /usr/bin/chromium;
//                                 WEB_TEST_OUT: folder for the screenshots, default /tmp/fluorohip-web-test)
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import net from "node:net";

const require = createRequire(import.meta.url);
const { chromium } = require(process.env.PLAYWRIGHT_CORE || "playwright-core");
const here = path.dirname(new URL(import.meta.url).pathname);
const dist = path.join(here, "dist");
const out = process.env.WEB_TEST_OUT || "/tmp/fluorohip-web-test";
fs.mkdirSync(out, { recursive: true });

let failures = 0;
function check(ok, what) {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) failures++;
}

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitFor(what, ms, f) {
  const until = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

// Pixel statistics of a screenshot, computed by the browser itself (no PNG decoder here).
/// A trainee's own session in a fresh profile: keys reach the app, the autosave lands in the
/// browser's storage after an action, and after a reload Enter on the chooser does not start a
/// new case over the interrupted one (it must be resumed or discarded by choice).
async function trainee(browser, base) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const page = await context.newPage();
  const log = [];
  page.on("console", (m) => log.push(m.text()));
  page.on("pageerror", (e) => {
    if (!String(e.message).includes("Using exceptions for control flow")) log.push("pageerror " + e.message);
  });
  const key = "fluorohip:fluorohip/autosave/session-log.json";
  const title = () => page.title();
  const open = async () => {
    await page.goto(`${base}/?trainee=Web%20Trainee&seed=11`, { waitUntil: "domcontentloaded" });
    await waitFor("the first frame", 300_000, () => log.some((l) => /first frame/.test(l)));
    // Keys go to the page once it has the focus: a click on an empty corner gives it.
    await page.mouse.click(1270, 710);
    const t = await waitFor("the notice or the chooser", 60_000, async () => {
      const t = await title();
      return /^fluorohip: (notice|chooser)/.test(t) ? t : null;
    });
    if (t.startsWith("fluorohip: notice")) {
      await page.keyboard.press("Enter");
      await waitFor("the chooser", 60_000, async () => (await title()).startsWith("fluorohip: chooser"));
    }
  };
  await open();
  await page.keyboard.press("Enter");
  await waitFor("the procedure", 60_000, async () => (await title()).startsWith("fluorohip: procedure"));
  // While the patient's anatomy is built, a note says so; then the 3D view.
  await page.waitForTimeout(300);
  fs.writeFileSync(path.join(out, "web-preparing.png"), await page.screenshot());
  await waitFor("the patient's meshes", 120_000, () => log.some((l) => /patient meshes/.test(l)));
  await page.keyboard.press("F1");
  const saved = await waitFor("the autosave after consent", 60_000, async () => {
    const v = await page.evaluate((k) => localStorage.getItem(k), key);
    return v && JSON.parse(v).actions.some((a) => a.action === "consent") ? v : null;
  });
  const actions = JSON.parse(saved).actions;
  check(actions.length === 1, `the autosave in the browser's storage holds the consent (${actions.length} action)`);
  fs.writeFileSync(path.join(out, "web-trainee-procedure.png"), await page.screenshot());

  // The tab is closed or reloaded mid-case.
  log.length = 0;
  await page.reload({ waitUntil: "domcontentloaded" });
  log.length = 0;
  await open();
  await page.waitForTimeout(1000);
  fs.writeFileSync(path.join(out, "web-resume-offered.png"), await page.screenshot());
  await page.keyboard.press("Enter");
  await page.waitForTimeout(3000);
  const after = await page.evaluate((k) => localStorage.getItem(k), key);
  check((await title()).startsWith("fluorohip: chooser") && after === saved,
    `after a reload, Enter on the chooser keeps the interrupted session (title "${await title()}", autosave ${after === saved ? "unchanged" : "CHANGED"})`);

  // A case file from the instructor, opened with the browser's file picker, joins the list
  // chosen; the interrupted session is discarded by choice first, and the case starts.
  const click = async (x, y) => {
    await page.mouse.move(x, y);
    await page.waitForTimeout(1500); // a frame sees the pointer over the button first
    await page.mouse.click(x, y);
  };
  const caseText = fs
    .readFileSync(path.join(here, "..", "assets", "scenarios", "high_anteversion.ron"), "utf8")
    .replace(/name:\s*"high_anteversion"/, 'name: "workshop_case"');
  const caseFile = path.join(out, "workshop_case.ron");
  fs.writeFileSync(caseFile, caseText);
  const chooser = page.waitForEvent("filechooser", { timeout: 60_000 });
  await click(400, 637); // "Open a case or session file..."
  await (await chooser).setFiles(caseFile);
  await page.waitForTimeout(3000);
  await click(1210, 125); // "Discard it"
  await page.waitForTimeout(2000);
  fs.writeFileSync(path.join(out, "web-case-opened.png"), await page.screenshot());
  await page.keyboard.press("Enter");
  await waitFor("the opened case's procedure", 60_000, async () => (await title()).startsWith("fluorohip: procedure"));
  const started = await waitFor("the new autosave", 60_000, async () => {
    const v = await page.evaluate((k) => localStorage.getItem(k), key);
    return v && JSON.parse(v).scenario.name === "workshop_case" ? v : null;
  });
  check(JSON.parse(started).actions.length === 0, "a case file opened with the file picker starts (autosave of workshop_case)");
  const keptOld = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.includes("/sessions/discarded")));
  check(keptOld.length >= 1, `the discarded session is kept among the old ones (${keptOld.join(", ")})`);
  check(!log.some((l) => /pageerror|panicked/.test(l)), "no errors in the trainee's session");
  await context.close();
}

async function look(browser, png) {
  const page = await browser.newPage();
  const stats = await page.evaluate(async (b64) => {
    const img = new Image();
    img.src = "data:image/png;base64," + b64;
    await img.decode();
    const c = document.createElement("canvas");
    c.width = img.width;
    c.height = img.height;
    const g = c.getContext("2d");
    g.drawImage(img, 0, 0);
    const { data, width: w, height: h } = g.getImageData(0, 0, c.width, c.height);
    const at = (x, y) => [data[4 * (y * w + x)], data[4 * (y * w + x) + 1], data[4 * (y * w + x) + 2]];
    const colours = new Set();
    for (let i = 0; i < w * h; i += 97) colours.add(at(i % w, Math.floor(i / w)).join());
    let red = 0, columns = 0;
    for (let x = 0; x < w; x += 40, columns++) {
      const [r, gg, b] = at(x, 4);
      if (r > 140 && gg < 60 && b < 80) red++;
    }
    const count = (x0, y0, x1, y1, f) => {
      let n = 0;
      for (let y = y0; y < Math.min(y1, h); y++) for (let x = x0; x < Math.min(x1, w); x++) if (f(at(x, y))) n++;
      return n;
    };
    // The monitor: a grey square 280 px from 330 px left of the right edge, 60 px down.
    let grey = true, lo = 255, hi = 0;
    for (let dy = 0; dy < 280; dy += 7)
      for (let dx = 0; dx < 280; dx += 7) {
        const [r, gg, b] = at(w - 330 + dx, 60 + dy);
        if (Math.abs(r - gg) >= 12 || Math.abs(gg - b) >= 12) grey = false;
        lo = Math.min(lo, gg);
        hi = Math.max(hi, gg);
      }
    return {
      w, h, colours: colours.size, banner: red / columns,
      monitor: { grey, lo, hi },
      verdictGreen: count(480, 30, 1280, 110, ([r, gg, b]) => gg > 150 && r < 140 && b < 150),
      verdictRed: count(480, 30, 1280, 110, ([r, gg, b]) => r > 200 && gg < 120 && b < 120),
    };
  }, png.toString("base64"));
  await page.close();
  return stats;
}

const wasm = path.join(dist, "fluorohip_bg.wasm");
if (!fs.existsSync(wasm)) {
  console.error(`${wasm} is missing: run web/build.sh first`);
  process.exit(2);
}
const raw = fs.statSync(wasm).size;
const gz = zlib.gzipSync(fs.readFileSync(wasm), { level: 9 }).length;
const mb = (n) => (n / 1048576).toFixed(1);
console.log(`wasm: ${mb(raw)} MB, ${mb(gz)} MB gzipped`);

const port = await freePort();
const server = spawn("python3", ["-m", "http.server", String(port), "--bind", "127.0.0.1", "--directory", dist], {
  stdio: "ignore",
});
const base = `http://127.0.0.1:${port}`;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: [
    "--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
  ],
});
try {
  await waitFor("the static server", 20_000, () => fetch(base + "/").then((r) => r.ok, () => false));
  if (process.env.WEB_TEST_ONLY === "trainee") {
    // Only the trainee's session (while changing it).
    await trainee(browser, base);
    throw new Error("SKIP-DEMO");
  }
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  const log = [];
  const t0 = Date.now();
  page.on("console", (m) => {
    const text = m.text();
    log.push({ s: (Date.now() - t0) / 1000, text });
    if (/first frame|shot traced|patient meshes|demo: (showing|on from|finishing|a long frame)|panicked|ERROR/.test(text)) {
      // Bevy's console lines carry CSS (%c ... color: ...): keep the words.
      const words = text.replace(/%c/g, "").replace(/ color: .*$/, "");
      console.log(`  [${((Date.now() - t0) / 1000).toFixed(1)} s] ${words}`);
    }
  });
  page.on("pageerror", (e) => {
    if (!String(e.message).includes("Using exceptions for control flow")) log.push({ s: 0, text: "pageerror " + e.message });
  });
  // The program's download is held back a few seconds (a slow network), so what the page
  // shows before it arrives can be seen.
  let release;
  const held = new Promise((r) => { release = r; });
  await page.route("**/fluorohip_bg.wasm*", async (route) => {
    await held;
    await route.continue();
  });
  await page.goto(`${base}/?demo=expert`, { waitUntil: "domcontentloaded" });

  // The notice is the first thing on the page, before the program has arrived.
  await page.waitForTimeout(1000);
  const cover = await page.locator("#cover").innerText();
  const coverShown = await page.locator("#cover").isVisible();
  const loadedYet = await page.evaluate(() => window.fluorohipLoadedMs !== undefined);
  check(cover.includes("NOT FOR CLINICAL USE") && coverShown && !loadedYet, "the notice is shown before the program has loaded");
  release();
  const seen = (re) => log.find((l) => re.test(l.text));
  const loaded = await waitFor("the download", 300_000, () => page.evaluate(() => window.fluorohipLoadedMs));
  console.log(`program downloaded and compiled ${(loaded / 1000).toFixed(1)} s after opening the page (its download held 1 s)`);
  const first = await waitFor("the first frame", 300_000, () => seen(/first frame/));
  console.log(`first frame ${first.s.toFixed(1)} s after opening the page`);
  check(!seen(/panicked/), "no panic while starting");

  // The end of the procedure: the demo holds it a few seconds.
  await waitFor("the end of the procedure", 1_200_000, () => seen(/showing the procedure screen/) || seen(/panicked/));
  check(!seen(/panicked/), "no panic during the procedure");
  const scenePng = await page.screenshot();
  fs.writeFileSync(path.join(out, "web-procedure.png"), scenePng);
  const scene = await look(browser, scenePng);
  console.log("procedure screenshot:", JSON.stringify(scene));
  check(scene.colours > 40, `the procedure is drawn (${scene.colours} colours)`);
  check(scene.banner > 0.7, `the red not-for-clinical-use banner runs across the top (${(scene.banner * 100).toFixed(0)}%)`);
  check(scene.monitor.grey && scene.monitor.hi - scene.monitor.lo > 60,
    `an X-ray image on the fluoroscopy monitor (grey ${scene.monitor.grey}, ${scene.monitor.lo}..${scene.monitor.hi})`);

  // The debrief: the page title carries the verdict.
  const title = await waitFor("the debrief", 600_000, async () => {
    const t = await page.title();
    return t.startsWith("fluorohip: debrief: ") && !t.includes("scoring") ? t : null;
  });
  await page.waitForTimeout(1500);
  const debriefPng = await page.screenshot();
  fs.writeFileSync(path.join(out, "web-debrief.png"), debriefPng);
  const debrief = await look(browser, debriefPng);
  console.log("debrief screenshot:", JSON.stringify(debrief));
  check(title === "fluorohip: debrief: PASS - NOT FOR CLINICAL USE", `the title gives the expert's verdict: "${title}"`);
  check(debrief.banner > 0.7, "the banner on the debrief");
  check(debrief.verdictGreen > 300 && debrief.verdictRed < 50,
    `a green PASS (green ${debrief.verdictGreen} px, red ${debrief.verdictRed} px)`);

  const shots = log.filter((l) => /shot traced in/.test(l.text)).map((l) => Number(l.text.match(/in (\d+) ms/)[1]));
  if (shots.length) {
    shots.sort((a, b) => a - b);
    console.log(`shots: ${shots.length}, median ${shots[shots.length >> 1]} ms, longest ${shots[shots.length - 1]} ms`);
  }
  // The demo's own figures once it has shown the debrief: frames, the longest, stalls.
  const stats = await waitFor("the demo's frame figures", 120_000, () => seen(/demo: \d+ frames/));
  console.log(stats.text.replace(/%c/g, "").replace(/color:.*$/, ""));
  const errors = log.filter((l) => /pageerror|panicked/.test(l.text));
  check(errors.length === 0, `no errors on the page${errors.length ? ": " + errors.map((e) => e.text).join(" | ") : ""}`);
  // The demo's page keeps drawing on the same CPU: close it first.
  await page.close();
  await trainee(browser, base);
  console.log(`screenshots in ${out}; whole run ${((Date.now() - t0) / 1000).toFixed(0)} s`);
} catch (e) {
  if (e.message !== "SKIP-DEMO") {
    console.error("FAIL", e.message);
    failures++;
  }
} finally {
  await browser.close();
  server.kill();
}
process.exit(failures ? 1 : 0);
