// edge console: live figures. Polls /live.json every second, updates every element with a
// data-live="KEY" attribute and draws the graphs (SVG polylines) of the last 5 minutes in every
// <svg data-graph="DIST|KIND">. No library, no build step; the page reads fine without it.
"use strict";

(function () {
  const POINTS = 300; // 5 minutes of one-second points, as the server keeps
  const body = document.body;
  const status = document.getElementById("live-status");
  const series = {}; // by distribution id: {rps: {Hit: [...], ...}, bytes: [...], hitRatio, p50, p99}
  let seq = 0; // the newest point held; 0 asks for the whole history
  let polls = 0;
  // The distributions the page shows, and those whose graphs it draws: only their figures,
  // and only those graphs' points, are asked for.
  const idsOf = (sel, attr) => [...new Set([...document.querySelectorAll(sel)]
    .map((el) => el.getAttribute(attr).split("|")[0]).filter((id) => id !== "cache" && id !== "disk"))];
  const graphIds = idsOf("svg[data-graph]", "data-graph");
  const distIds = idsOf("[data-live]", "data-live");

  // The same formats as the server's (console/format.go).
  const fmtRate = (v) => v == null ? "–" : v >= 100 ? v.toFixed(0) : v.toFixed(1);
  const fmtPct = (v) => v == null ? "–" : (v * 100).toFixed(1) + " %";
  const fmtMs = (v) => v == null ? "–" : v >= 0.1 ? (v * 1000).toFixed(0) + " ms" : (v * 1000).toFixed(2) + " ms";
  const fmtCount = (v) => v == null ? "–" : Math.round(v).toString();
  function fmtBytes(v) {
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let i = 0;
    while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
    return i === 0 ? v.toFixed(0) + " B" : v.toFixed(1) + " " + units[i];
  }

  // values maps every data-live key to its text for one answer of /live.json.
  function values(live) {
    const out = {};
    for (const d of live.distributions) {
      let rps = 0;
      for (const r of live.results) {
        rps += d.now.rps[r] || 0;
        out[d.id + "|rps." + r] = fmtRate(d.now.rps[r]);
        out[d.id + "|total." + r] = fmtCount(d.totals[r]);
      }
      out[d.id + "|rps"] = fmtRate(rps);
      out[d.id + "|hitRatio"] = fmtPct(d.now.hitRatio);
      out[d.id + "|bytes"] = fmtBytes(d.now.bytes || 0);
      out[d.id + "|p50"] = fmtMs(d.now.p50);
      out[d.id + "|p99"] = fmtMs(d.now.p99);
      out[d.id + "|requests"] = fmtCount(d.requests);
      const hits = (d.totals.Hit || 0) + (d.totals.RefreshHit || 0), cacheable = hits + (d.totals.Miss || 0);
      out[d.id + "|hitRatioAll"] = fmtPct(cacheable > 0 ? hits / cacheable : null);
      out[d.id + "|bytesAll"] = fmtBytes(d.bytes);
    }
    for (const [tier, c] of [["cache", live.cache], ["disk", live.cache.disk]]) {
      if (!c) continue;
      for (const k of ["hits", "misses", "sets", "rejected", "evictions", "objects"]) {
        if (k in c) out[tier + "|" + k] = fmtCount(c[k]);
      }
      out[tier + "|bytes"] = fmtBytes(c.bytes);
      out[tier + "|maxBytes"] = fmtBytes(c.maxBytes);
      out[tier + "|usedPct"] = fmtPct(c.maxBytes ? c.bytes / c.maxBytes : null);
      out[tier + "|meter"] = c.maxBytes ? c.bytes / c.maxBytes : 0;
    }
    return out;
  }

  // keep appends an answer's points to the series, keeping the last POINTS.
  function keep(live) {
    for (const d of live.distributions) {
      const s = series[d.id] || (series[d.id] = { rps: {}, bytes: [], hitRatio: [], p50: [], p99: [] });
      const add = (arr, pts) => { arr.push(...pts); arr.splice(0, Math.max(0, arr.length - POINTS)); };
      for (const r of live.results) add(s.rps[r] || (s.rps[r] = []), d.points.rps[r]);
      for (const k of ["bytes", "hitRatio", "p50", "p99"]) add(s[k], d.points[k]);
    }
  }

  const SVG = "http://www.w3.org/2000/svg";

  // draw renders lines ({cls, values}) in svg, newest point at the right edge, scaled to
  // [0, top]; a null value breaks its line.
  function draw(svg, lines, top) {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    const w = 300, h = 60, dx = w / (POINTS - 1);
    for (const line of lines) {
      const n = line.values.length;
      let pts = [];
      const flush = () => {
        if (pts.length > 1) {
          const p = document.createElementNS(SVG, "polyline");
          p.setAttribute("class", "s-" + line.cls);
          p.setAttribute("points", pts.join(" "));
          svg.appendChild(p);
        }
        pts = [];
      };
      line.values.forEach((v, i) => {
        if (v == null) { flush(); return; }
        const x = w - (n - 1 - i) * dx;
        const y = h - 1 - (Math.min(v, top) / top) * (h - 4);
        pts.push(x.toFixed(1) + "," + y.toFixed(1));
      });
      flush();
    }
    svg.setAttribute("data-top", String(top));
  }

  const maxOf = (arrs) => Math.max(0, ...arrs.map((a) => Math.max(0, ...a.filter((v) => v != null))));

  function drawAll(results) {
    for (const svg of document.querySelectorAll("svg[data-graph]")) {
      const [id, kind] = svg.getAttribute("data-graph").split("|");
      const s = series[id];
      if (!s) continue;
      if (kind === "rps") {
        const lines = results.filter((r) => maxOf([s.rps[r] || []]) > 0 || r === "Hit")
          .map((r) => ({ cls: r, values: s.rps[r] || [] }));
        draw(svg, lines, Math.max(1, maxOf(lines.map((l) => l.values))));
      } else if (kind === "hitRatio") {
        draw(svg, [{ cls: "hitRatio", values: s.hitRatio }], 1);
      } else if (kind === "bytes") {
        draw(svg, [{ cls: "bytes", values: s.bytes }], Math.max(1, maxOf([s.bytes])));
      } else if (kind === "latency") {
        draw(svg, [{ cls: "p50", values: s.p50 }, { cls: "p99", values: s.p99 }], Math.max(0.001, maxOf([s.p50, s.p99])));
      }
    }
  }

  function update(live) {
    keep(live);
    const v = values(live);
    for (const el of document.querySelectorAll("[data-live]")) {
      const k = el.getAttribute("data-live");
      if (!(k in v)) continue;
      if (el.tagName === "METER") el.value = v[k];
      else if (el.textContent !== v[k]) el.textContent = v[k];
    }
    drawAll(live.results);
    seq = live.seq;
    polls++;
    body.setAttribute("data-polls", String(polls));
    if (status) {
      status.textContent = "Live: figures follow every second (" + new Date(live.sampled).toLocaleTimeString() + ").";
      status.classList.remove("stale");
    }
  }

  async function poll() {
    try {
      const r = await fetch("/live.json?since=" + seq + "&dists=" + encodeURIComponent(distIds.join(",")) +
        "&graphs=" + encodeURIComponent(graphIds.join(",")),
        { cache: "no-store", credentials: "same-origin" });
      if (!r.ok) throw new Error("HTTP " + r.status);
      update(await r.json());
    } catch (e) {
      if (status) {
        status.textContent = "Live figures paused (" + e.message + "); retrying.";
        status.classList.add("stale");
      }
    }
    setTimeout(poll, 1000);
  }

  poll();
})();
