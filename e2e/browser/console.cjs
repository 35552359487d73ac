// Drives Headless Chromium for e2e/console_test.go (TestConsoleInBrowser):
//
//   node console.cjs CHROMIUM CONSOLE_URL ARTIFACTS_DIR SPEC_JSON
//
// CONSOLE_URL is the console's root ("http://127.0.0.1:PORT"); SPEC_JSON is
// {"dist": ID, "paths": [...]}. The script
//   1. loads every console page (each in a fresh browser context, so each is a first load),
//      waits for its first live update where it has one, counts the bytes it took (CDP's
//      encodedDataLength of every response), and saves a full-page screenshot in
//      ARTIFACTS_DIR/console-NAME.png;
//   2. reads the traffic figures of the distribution (every data-live element) on /traffic,
//      with JavaScript on, then, once the test writes a line on stdin (it made more requests),
//      waits for the page to show the new Hit total and reads them again; and on /traffic with
//      JavaScript off (the server-rendered figures);
//   3. asks the "which behavior?" box of the distribution's page for every path, typing it and
//      submitting the form, and reads the answer.
// It prints one JSON object on stdout per phase, one line each:
//   {"phase": "loaded", "browser", "pages": [{"name", "bytes", "requests", "title", "screenshot"}],
//    "figures": {key: text}, "nojs": {key: text}}
//   {"phase": "done", "figures": {key: text}, "answers": [{"path", "index", "pattern", "origin"}], "errors": [...]}
// Bounded: one browser, 60 s.
"use strict";

const fs = require("fs");
const path = require("path");
const readline = require("readline");
const puppeteer = require("puppeteer-core");

const [chromium, base, artifacts, specJSON] = process.argv.slice(2);
if (!chromium || !base || !artifacts || !specJSON) {
  console.error("usage: node console.cjs CHROMIUM CONSOLE_URL ARTIFACTS_DIR SPEC_JSON");
  process.exit(2);
}
const spec = JSON.parse(specJSON);

let browser;
const watchdog = setTimeout(async () => {
  console.error("console.cjs: gave up after 60 s");
  if (browser) await browser.close().catch(() => {});
  process.exit(3);
}, 60000);

const errors = [];

// watch records what would be an error on the page: console errors, exceptions, failed
// requests and HTTP errors.
function watch(page, name) {
  page.on("pageerror", (e) => errors.push(`${name}: page error: ${e.message}`));
  page.on("console", (m) => { if (m.type() === "error") errors.push(`${name}: console error: ${m.text()}`); });
  page.on("requestfailed", (r) => errors.push(`${name}: ${r.url()}: ${r.failure() && r.failure().errorText}`));
  page.on("response", (r) => { if (r.status() >= 400) errors.push(`${name}: ${r.url()}: HTTP ${r.status()}`); });
}

// figures reads every data-live element of the page.
const figures = (page) => page.evaluate(() => {
  const out = {};
  for (const el of document.querySelectorAll("[data-live]")) out[el.getAttribute("data-live")] = el.textContent.trim();
  return out;
});

// firstLoad opens url in a fresh context (an empty cache), waits for the page and, when it
// polls, for its first live update, and returns the page with the bytes it took.
async function firstLoad(name, url) {
  const ctx = await browser.createBrowserContext();
  const page = await ctx.newPage();
  await page.setViewport({ width: 1280, height: 800 });
  watch(page, name);
  const cdp = await page.createCDPSession();
  await cdp.send("Network.enable");
  let bytes = 0, requests = 0;
  cdp.on("Network.loadingFinished", (e) => { bytes += e.encodedDataLength; requests++; });
  const nav = await page.goto(url, { waitUntil: "load", timeout: 15000 });
  if (!nav || !nav.ok()) throw new Error(`${url}: ${nav ? nav.status() : "no response"}`);
  const live = await page.evaluate(() => !!document.querySelector('script[src="/static/console.js"]'));
  if (live) await page.waitForFunction(() => Number(document.body.dataset.polls || 0) >= 1, { timeout: 10000, polling: 100 });
  return { page, ctx, bytes, requests: () => requests, bytesNow: () => bytes };
}

async function main() {
  browser = await puppeteer.launch({
    executablePath: chromium,
    headless: true,
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run",
      "--disable-background-networking", "--disable-extensions", "--hide-scrollbars"],
    timeout: 30000,
    protocolTimeout: 30000,
  });
  const out = { phase: "loaded", browser: await browser.version(), pages: [] };
  const pages = [
    ["distributions", "/"], ["distribution", "/distributions/" + spec.dist + "?path=" + encodeURIComponent(spec.paths[0])],
    ["traffic", "/traffic"], ["cache", "/cache"], ["invalidations", "/invalidations"], ["fleet", "/fleet"],
  ];
  let traffic;
  for (const [name, url] of pages) {
    const l = await firstLoad(name, base + url);
    if (name === "traffic") {
      // The graphs: wait until one has been drawn with a line.
      await l.page.waitForFunction(() => document.querySelector("svg[data-graph] polyline") !== null, { timeout: 10000, polling: 100 });
    }
    const shot = path.join(artifacts, `console-${name}.png`);
    await l.page.screenshot({ path: shot, fullPage: true });
    out.pages.push({ name, bytes: l.bytesNow(), requests: l.requests(), title: await l.page.title(), screenshot: shot });
    if (name === "traffic") {
      traffic = l.page;
      out.figures = await figures(l.page);
    } else {
      await l.ctx.close();
    }
  }

  // JavaScript off: the server-rendered figures.
  const nojsCtx = await browser.createBrowserContext();
  const nojs = await nojsCtx.newPage();
  watch(nojs, "traffic (no JavaScript)");
  await nojs.setJavaScriptEnabled(false);
  await nojs.goto(base + "/traffic", { waitUntil: "load", timeout: 15000 });
  out.nojs = await figures(nojs);
  await nojsCtx.close();
  process.stdout.write(JSON.stringify(out) + "\n");

  // Phase 2: the test makes more requests, then says so on stdin; the open traffic page must
  // follow without a reload.
  const want = await new Promise((resolve) => {
    const rl = readline.createInterface({ input: process.stdin });
    rl.once("line", (line) => { rl.close(); resolve(JSON.parse(line)); });
  });
  await traffic.waitForFunction((key, text) => {
    const el = document.querySelector(`[data-live="${key}"]`);
    return el && el.textContent.trim() === text;
  }, { timeout: 10000, polling: 100 }, want.key, want.text);
  const done = { phase: "done", figures: await figures(traffic), answers: [] };

  // The "which behavior?" box, through the form as a person uses it.
  const ctx = await browser.createBrowserContext();
  const page = await ctx.newPage();
  watch(page, "distribution");
  await page.goto(base + "/distributions/" + spec.dist, { waitUntil: "load", timeout: 15000 });
  for (const p of spec.paths) {
    await page.$eval('input[name="path"]', (el) => { el.value = ""; });
    await page.type('input[name="path"]', p);
    await Promise.all([page.waitForNavigation({ waitUntil: "load", timeout: 15000 }), page.click('form.ask button[type="submit"]')]);
    done.answers.push(await page.$eval("#match", (el) => ({ index: el.dataset.index, pattern: el.dataset.pattern || "",
      origin: el.dataset.origin || "", text: el.textContent.replace(/\s+/g, " ").trim() })));
    done.answers[done.answers.length - 1].path = p;
  }
  done.errors = errors;
  process.stdout.write(JSON.stringify(done) + "\n");
}

fs.mkdirSync(artifacts, { recursive: true });
main()
  .then(() => 0, (e) => { console.error("console.cjs:", e && e.stack ? e.stack : e); return 1; })
  .then(async (code) => {
    clearTimeout(watchdog);
    if (browser) await browser.close().catch(() => {});
    process.exit(code);
  });
