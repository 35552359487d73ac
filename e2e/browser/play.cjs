// Drives Headless Chromium for e2e/browser_h2_test.go (TestBrowserSmoothOverHTTP2):
//
//   node play.cjs CHROMIUM PLAYER_URL
//
// opens PLAYER_URL (testdata/www/player.html served by the edge over TLS, whose self-signed
// certificate the browser is told to accept), lets dash.js play the Smooth demo to its end
// (at 4x speed), and prints one JSON object on stdout: {"browser", "ended", "currentTime",
// "duration", "errors": [...], "protocols": {"h2": n, ...}}, protocols counting the Manifest
// and fragment requests by Resource Timing's nextHopProtocol. Bounded: one browser, 90 s.
"use strict";

const puppeteer = require("puppeteer-core");

const [chromium, playerURL] = process.argv.slice(2);
if (!chromium || !playerURL) {
  console.error("usage: node play.cjs CHROMIUM PLAYER_URL");
  process.exit(2);
}

let browser;
const watchdog = setTimeout(async () => {
  console.error("play.cjs: gave up after 90 s");
  if (browser) await browser.close().catch(() => {});
  process.exit(3);
}, 90000);

async function main() {
  browser = await puppeteer.launch({
    executablePath: chromium,
    headless: true,
    acceptInsecureCerts: true,
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run",
      "--ignore-certificate-errors", "--autoplay-policy=no-user-gesture-required"],
    timeout: 30000,
    protocolTimeout: 30000,
  });
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
  page.on("console", (m) => { if (m.type() === "error") errors.push(`console: ${m.text()}`); });
  page.on("requestfailed", (r) => errors.push(`${r.url()}: ${r.failure() && r.failure().errorText}`));
  const nav = await page.goto(playerURL, { waitUntil: "load", timeout: 15000 });
  if (!nav || !nav.ok()) throw new Error(`page ${playerURL}: ${nav ? nav.status() : "no response"}`);
  await page.waitForFunction(() => {
    const v = document.getElementById("video");
    if (v.readyState >= 2 && v.playbackRate !== 4) v.playbackRate = 4;
    return v.ended || window.playerErrors.length > 0 || v.error;
  }, { timeout: 75000, polling: 250 });
  const state = await page.evaluate(() => {
    const v = document.getElementById("video");
    const protocols = {};
    for (const e of performance.getEntriesByType("resource")) {
      if (!/Manifest|Fragments/.test(e.name)) continue;
      protocols[e.nextHopProtocol] = (protocols[e.nextHopProtocol] || 0) + 1;
    }
    return { ended: v.ended, currentTime: v.currentTime, duration: v.duration,
      playerErrors: window.playerErrors, mediaError: v.error ? v.error.message || String(v.error.code) : "", protocols };
  });
  for (const e of state.playerErrors) errors.push(`dash.js: ${e}`);
  if (state.mediaError) errors.push(`video: ${state.mediaError}`);
  const version = await browser.version();
  process.stdout.write(JSON.stringify({ browser: version, ended: state.ended, currentTime: state.currentTime,
    duration: state.duration, errors, protocols: state.protocols }) + "\n");
}

main()
  .then(() => 0, (e) => { console.error("play.cjs:", e && e.stack ? e.stack : e); return 1; })
  .then(async (code) => {
    clearTimeout(watchdog);
    if (browser) await browser.close().catch(() => {});
    process.exit(code);
  });
