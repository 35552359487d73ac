// Drives Headless Chromium for e2e/browser_test.go (TestBrowserCORS):
//
//   node cors.cjs CHROMIUM PAGE_URL EDGE_ORIGIN PREFIX...
//
// opens PAGE_URL (e2e/testdata/browser/cors.html, served on another origin than the edge),
// runs its corsChecks(EDGE_ORIGIN, [PREFIX...]) and prints one JSON object on stdout:
// {"browser": version, "results": [...], "responses": [...]}, where responses are the edge's
// answers as the browser's network layer saw them (for the test's failure messages). Console
// output of the page goes to stderr. puppeteer-core is resolved through NODE_PATH (the test
// points it at scripts/test-deps.sh's install). Bounded: one browser, one page, and the whole
// run gives up after 60 s.
"use strict";

const puppeteer = require("puppeteer-core");

const [chromium, pageURL, edge, ...prefixes] = process.argv.slice(2);
if (!chromium || !pageURL || !edge || prefixes.length === 0) {
  console.error("usage: node cors.cjs CHROMIUM PAGE_URL EDGE_ORIGIN PREFIX...");
  process.exit(2);
}

let browser;
const watchdog = setTimeout(async () => {
  console.error("cors.cjs: gave up after 60 s");
  if (browser) await browser.close().catch(() => {});
  process.exit(3);
}, 60000);

async function main() {
  browser = await puppeteer.launch({
    executablePath: chromium,
    headless: true,
    // CI runs as root, where Chromium's sandbox can't start.
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run"],
    timeout: 30000,
    protocolTimeout: 30000,
  });
  const page = await browser.newPage();
  page.on("console", (m) => console.error("page console:", m.type(), m.text()));
  page.on("pageerror", (e) => console.error("page error:", e.message));
  const responses = [];
  page.on("response", (r) => {
    if (!r.url().startsWith(edge)) return;
    const h = r.headers();
    responses.push({
      url: r.url(),
      method: r.request().method(),
      status: r.status(),
      acao: h["access-control-allow-origin"] || "",
    });
  });
  const nav = await page.goto(pageURL, { waitUntil: "load", timeout: 15000 });
  if (!nav || !nav.ok()) throw new Error(`page ${pageURL}: ${nav ? nav.status() : "no response"}`);
  const results = await page.evaluate((e, p) => corsChecks(e, p), edge, prefixes);
  const version = await browser.version();
  process.stdout.write(JSON.stringify({ browser: version, results, responses }) + "\n");
}

main()
  .then(() => 0, (e) => { console.error("cors.cjs:", e && e.stack ? e.stack : e); return 1; })
  .then(async (code) => {
    if (browser) await browser.close().catch(() => {});
    clearTimeout(watchdog);
    process.exit(code);
  });
