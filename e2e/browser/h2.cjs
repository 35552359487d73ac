// Drives Headless Chromium for e2e/browser_h2_test.go (TestBrowserHTTP2):
//
//   node h2.cjs CHROMIUM PAGE_URL
//
// opens PAGE_URL (served by the edge over TLS with its self-signed certificate, which the
// browser is told to accept), waits until the page and its assets have loaded, and prints one
// JSON object on stdout: {"browser": version, "entries": [{name, nextHopProtocol}...],
// "errors": [...]}: the navigation and every resource as the browser's Resource Timing saw them.
// puppeteer-core is resolved through NODE_PATH. Bounded: one browser, one page, 60 s.
"use strict";

const puppeteer = require("puppeteer-core");

const [chromium, pageURL] = process.argv.slice(2);
if (!chromium || !pageURL) {
  console.error("usage: node h2.cjs CHROMIUM PAGE_URL");
  process.exit(2);
}

let browser;
const watchdog = setTimeout(async () => {
  console.error("h2.cjs: gave up after 60 s");
  if (browser) await browser.close().catch(() => {});
  process.exit(3);
}, 60000);

async function main() {
  browser = await puppeteer.launch({
    executablePath: chromium,
    headless: true,
    acceptInsecureCerts: true,
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run", "--ignore-certificate-errors"],
    timeout: 30000,
    protocolTimeout: 30000,
  });
  const page = await browser.newPage();
  const errors = [];
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("requestfailed", (r) => errors.push(`${r.url()}: ${r.failure() && r.failure().errorText}`));
  const nav = await page.goto(pageURL, { waitUntil: "load", timeout: 15000 });
  if (!nav || !nav.ok()) throw new Error(`page ${pageURL}: ${nav ? nav.status() : "no response"}`);
  const entries = await page.evaluate(() =>
    performance.getEntriesByType("navigation").concat(performance.getEntriesByType("resource"))
      .map((e) => ({ name: e.name, nextHopProtocol: e.nextHopProtocol })));
  const version = await browser.version();
  process.stdout.write(JSON.stringify({ browser: version, entries, errors }) + "\n");
}

main()
  .then(() => 0, (e) => { console.error("h2.cjs:", e && e.stack ? e.stack : e); return 1; })
  .then(async (code) => {
    clearTimeout(watchdog);
    if (browser) await browser.close().catch(() => {});
    process.exit(code);
  });
