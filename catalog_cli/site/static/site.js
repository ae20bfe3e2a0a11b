// catalog site: search as you type (home page), copy buttons and the namespace of
// install commands (resource pages). Text from the catalog is only ever set as
// textContent, never parsed as HTML.
(function () {
  "use strict";
  var PAGE = 50;

  function rootUrl() {
    var css = document.querySelector('link[rel="stylesheet"]');
    return new URL("../", css.href);  // the stylesheet is ROOT/assets/site.css
  }

  function words(text) {
    return text.toLowerCase().split(/\s+/).filter(Boolean);
  }

  // As `catalog search` ranks: the name itself, a name starting with the first word and
  // holding all, all words in the name, some of them (more first), none.
  function rank(ws, name) {
    if (!ws.length || name === ws.join(" ") || name === ws.join("-")) return [0, 0];
    var inside = ws.filter(function (w) { return name.indexOf(w) >= 0; }).length;
    if (inside === ws.length) return [name.indexOf(ws[0]) === 0 ? 1 : 2, 0];
    return inside ? [3, -inside] : [4, 0];
  }

  function setupSearch(data) {
    var form = document.getElementById("search");
    var q = document.getElementById("q"), kind = document.getElementById("kind");
    var category = document.getElementById("category"), platform = document.getElementById("platform");
    var list = document.getElementById("results"), count = document.getElementById("count");
    var more = document.getElementById("more");
    var F = {}; data.fields.forEach(function (f, i) { F[f] = i; });
    var items = data.items.map(function (it) {
      return { it: it, hay: [it[F.name], it[F.displayName], it[F.description]].concat(it[F.tags], it[F.categories])
        .join(" ").toLowerCase(), cats: it[F.categories].map(function (c) { return c.toLowerCase(); }),
        plats: it[F.platforms].map(function (p) { return p.toLowerCase(); }) };
    });
    var found = [], shown = 0;

    function item(rec) {
      var it = rec.it, li = document.createElement("li"), a = document.createElement("a");
      a.className = "name"; a.textContent = it[F.name];
      if (/^r\/[^:]*$/.test(it[F.url])) a.setAttribute("href", it[F.url]);
      li.appendChild(a);
      var meta = document.createElement("span"); meta.className = "muted";
      meta.textContent = " " + it[F.kind] + " " + it[F.version] + (it[F.deprecated] ? " (deprecated)" : "");
      li.appendChild(meta);
      var p = document.createElement("p"); p.textContent = it[F.description]; li.appendChild(p);
      if (it[F.tags].length || it[F.categories].length) {
        var t = document.createElement("p"); t.className = "muted";
        t.textContent = it[F.categories].concat(it[F.tags]).join(" · "); li.appendChild(t);
      }
      return li;
    }

    function showMore() {
      var frag = document.createDocumentFragment(), end = Math.min(found.length, shown + PAGE);
      for (; shown < end; shown++) frag.appendChild(item(found[shown]));
      list.appendChild(frag);
      more.hidden = shown >= found.length;
      more.textContent = "Show more (" + (found.length - shown) + " left)";
    }

    function run() {
      var t0 = performance.now(), ws = words(q.value), k = kind.value, c = category.value.toLowerCase();
      var pl = platform.value.toLowerCase();
      found = items.filter(function (rec) {
        for (var i = 0; i < ws.length; i++) if (rec.hay.indexOf(ws[i]) < 0) return false;
        if (k && rec.it[F.kind] !== k) return false;
        if (c && rec.cats.indexOf(c) < 0) return false;
        if (pl && rec.plats.indexOf(pl) < 0 && !(rec.plats.length === 0 && pl === "linux/amd64")) return false;
        return true;
      });
      found.forEach(function (rec) { rec.r = rank(ws, rec.it[F.name]); });
      found.sort(function (a, b) {
        return a.r[0] - b.r[0] || a.r[1] - b.r[1] || (a.it[F.name] < b.it[F.name] ? -1 : a.it[F.name] > b.it[F.name] ? 1 : 0);
      });
      list.textContent = ""; shown = 0; showMore();
      var ms = performance.now() - t0;
      list.setAttribute("data-search-ms", ms.toFixed(2));
      count.textContent = found.length === 1 ? "1 resource found" : found.length + " resources found";
      var params = new URLSearchParams();
      [["q", q.value], ["kind", k], ["category", category.value], ["platform", platform.value]]
        .forEach(function (kv) { if (kv[1]) params.set(kv[0], kv[1]); });
      var query = params.toString();
      try { history.replaceState(null, "", query ? "?" + query : location.pathname); } catch (e) { /* file:// */ }
    }

    var given = new URLSearchParams(location.search);
    q.value = given.get("q") || "";
    [[kind, "kind"], [category, "category"], [platform, "platform"]].forEach(function (pair) {
      var v = given.get(pair[1]);
      if (v && Array.prototype.some.call(pair[0].options, function (o) { return o.value === v; })) pair[0].value = v;
    });
    form.addEventListener("submit", function (e) { e.preventDefault(); run(); });
    q.addEventListener("input", run);
    [kind, category, platform].forEach(function (s) { s.addEventListener("change", run); });
    more.addEventListener("click", showMore);
    run();
  }

  function copyText(text, done) {
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { fallbackCopy(text, done); });
    } else {
      fallbackCopy(text, done);
    }
  }

  function fallbackCopy(text, done) {
    var area = document.createElement("textarea");
    area.value = text; area.setAttribute("readonly", ""); area.style.position = "fixed"; area.style.opacity = "0";
    document.body.appendChild(area); area.select();
    try { document.execCommand("copy"); done(); } catch (e) { /* nothing more to try */ }
    document.body.removeChild(area);
  }

  function setupCommands() {
    var status = document.getElementById("copied");
    document.querySelectorAll("button.copy").forEach(function (b) {
      b.addEventListener("click", function () {
        var code = document.getElementById(b.getAttribute("data-copy"));
        copyText(code.textContent, function () { if (status) status.textContent = "Copied: " + code.textContent; });
      });
    });
    document.querySelectorAll("code[data-catalog-rel]").forEach(function (code) {
      var at = new URL(code.getAttribute("data-catalog-rel"), rootUrl());
      var where = at.protocol === "file:" ? decodeURIComponent(at.pathname) : at.href;
      code.textContent = code.textContent.replace(/ URL$/, " " + where);
    });
    var ns = document.getElementById("ns");
    if (!ns) return;
    ns.addEventListener("input", function () {
      var ok = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(ns.value);
      ns.setAttribute("aria-invalid", ok ? "false" : "true");
      if (!ok) return;
      document.querySelectorAll("code[data-ns]").forEach(function (code) {
        code.textContent = code.textContent.replace(/ -n \S+$/, " -n " + ns.value);
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (document.getElementById("search") && window.CATALOG_INDEX) setupSearch(window.CATALOG_INDEX);
    setupCommands();
  });
})();
