/* myoclamp report: tables (sort, filter, pages), gene explorer, interactive volcano and MA plots.
   Vanilla JS, no library, no network: every number comes from the JSON block #gene-data
   (base64 typed arrays, see workflow/myoclamp/report/encode.py and genedata.py). */
(function () {
  "use strict";
  var PAGE = 15;
  var SVGNS = "http://www.w3.org/2000/svg";
  var ARM_COLOURS = ["#2c7fb8", "#d95f0e", "#4daf4a", "#984ea3"];
  var RED = "#c0392b", GREY = "#9aa0a6", INK = "#1d232a", SEL = "#e67e00";

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $$(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  /* ------------------------------------------------------------------ tables */
  function cellKey(td) {
    var v = td.getAttribute("data-v");
    if (v === null) v = td.textContent;
    var n = parseFloat(v);
    return (v !== "" && !isNaN(n) && isFinite(v)) ? n : v;
  }

  function Pager(table) {
    this.table = table;
    this.body = table.tBodies[0];
    this.rows = Array.prototype.slice.call(this.body.rows);
    this.query = "";
    this.page = 0;
    this.all = false;
    this.paged = table.classList.contains("paged");
    if (this.paged) {
      var nav = document.createElement("div");
      nav.className = "pager";
      nav.innerHTML = '<button type="button" data-go="-1" aria-label="previous page">&#8249; prev</button>' +
        '<span class="where"></span><button type="button" data-go="1" aria-label="next page">next &#8250;</button>' +
        '<button type="button" data-go="all">show all</button>';
      var wrap = table.closest(".tablewrap") || table;
      wrap.parentNode.insertBefore(nav, wrap.nextSibling);
      this.nav = nav;
      var self = this;
      nav.addEventListener("click", function (ev) {
        var go = ev.target.getAttribute && ev.target.getAttribute("data-go");
        if (!go) return;
        if (go === "all") { self.all = !self.all; self.page = 0; }
        else { self.page += parseInt(go, 10); }
        self.render();
      });
    }
    table.classList.add("live");
    this.render();
  }
  Pager.prototype.matching = function () {
    var q = this.query;
    if (!q) return this.rows;
    return this.rows.filter(function (r) { return r.textContent.toLowerCase().indexOf(q) >= 0; });
  };
  Pager.prototype.render = function () {
    var shown = this.matching();
    var pages = Math.max(1, Math.ceil(shown.length / PAGE));
    this.page = Math.min(Math.max(this.page, 0), pages - 1);
    var from = (this.paged && !this.all) ? this.page * PAGE : 0;
    var to = (this.paged && !this.all) ? from + PAGE : shown.length;
    var visible = new Set(shown.slice(from, to));
    this.rows.forEach(function (r) { r.style.display = visible.has(r) ? "table-row" : "none"; });
    if (this.nav) {
      var n = shown.length;
      this.nav.style.display = (this.rows.length > PAGE) ? "" : "none";
      $(".where", this.nav).textContent = n === 0 ? "no matching row" :
        "rows " + (from + 1) + "–" + Math.min(to, n) + " of " + n + (this.query ? " matching" : "");
      this.nav.querySelector('[data-go="-1"]').disabled = this.all || this.page === 0;
      this.nav.querySelector('[data-go="1"]').disabled = this.all || this.page >= pages - 1;
      this.nav.querySelector('[data-go="all"]').textContent = this.all ? "pages" : "show all";
    }
  };
  Pager.prototype.sortBy = function (idx, asc) {
    this.rows.sort(function (a, b) {
      var x = cellKey(a.cells[idx]), y = cellKey(b.cells[idx]);
      if (x === "" && y !== "") return 1;
      if (y === "" && x !== "") return -1;
      if (typeof x === "number" && typeof y === "number") return asc ? x - y : y - x;
      return asc ? String(x).localeCompare(String(y)) : String(y).localeCompare(String(x));
    });
    var body = this.body;
    this.rows.forEach(function (r) { body.appendChild(r); });
    this.page = 0;
    this.render();
  };

  function initTables() {
    $$("table.sortable").forEach(function (table) {
      var pager = new Pager(table);
      table._pager = pager;
      $$("thead th", table).forEach(function (th) {
        th.addEventListener("click", function () {
          var idx = Array.prototype.indexOf.call(th.parentNode.children, th);
          var asc = !th.classList.contains("asc");
          $$("th", th.parentNode).forEach(function (h) { h.classList.remove("asc", "desc"); });
          th.classList.add(asc ? "asc" : "desc");
          pager.sortBy(idx, asc);
        });
      });
    });
    $$("input.search").forEach(function (box) {
      box.addEventListener("input", function () {
        var table = document.getElementById(box.getAttribute("data-table"));
        if (!table || !table._pager) return;
        table._pager.query = box.value.toLowerCase();
        table._pager.page = 0;
        table._pager.render();
      });
    });
  }

  /* ------------------------------------------------------------------ data */
  var LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  function bytes(s) {
    var bin = atob(s), n = bin.length, out = new Uint8Array(n);
    for (var i = 0; i < n; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  function typed(s, Kind, size) {
    if (s === null || s === undefined) return null;
    var u = bytes(s);
    if (!LITTLE && size > 1) {
      for (var i = 0; i < u.length; i += size) Array.prototype.reverse.call(u.subarray(i, i + size));
    }
    return new Kind(u.buffer, 0, u.length / size);
  }
  function f32(s) { return typed(s, Float32Array, 4); }
  function i32(s) { return typed(s, Int32Array, 4); }
  function f16(s) {
    var h = typed(s, Uint16Array, 2);
    if (!h) return null;
    var out = new Float32Array(h.length);
    for (var i = 0; i < h.length; i++) {
      var x = h[i], sign = (x & 0x8000) ? -1 : 1, e = (x >> 10) & 0x1f, m = x & 0x3ff;
      out[i] = e === 0 ? sign * m * Math.pow(2, -24) :
        e === 31 ? (m ? NaN : sign * Infinity) : sign * (1 + m / 1024) * Math.pow(2, e - 15);
    }
    return out;
  }

  var D = null;
  function data() {
    if (D) return D;
    var node = document.getElementById("gene-data");
    if (!node) return null;
    var raw = JSON.parse(node.textContent);
    D = raw;
    D.symbol = raw.names.symbol.split("\t");
    D.key = raw.names.key.split("\t");
    D.n = D.symbol.length;
    if (raw.names.ensg) {
      var digits = i32(raw.names.ensg);
      D.ensembl = new Array(D.n);
      for (var i = 0; i < D.n; i++) {
        D.ensembl[i] = digits[i] > 0 ? "ENSG" + String(digits[i]).padStart(11, "0") : "";
      }
    } else {
      D.ensembl = raw.names.ensembl.split("\t");
    }
    D.lower = D.symbol.map(function (s) { return s.toLowerCase(); });
    D.byId = new Map();
    for (var j = D.n - 1; j >= 0; j--) {
      D.byId.set(D.lower[j], j);
      if (D.key[j]) D.byId.set(D.key[j].toLowerCase(), j);
      if (D.ensembl[j]) D.byId.set(D.ensembl[j].toLowerCase(), j);
    }
    D.goiSet = new Set(raw.goi);
    D.contrastIndex = {};
    raw.contrasts.forEach(function (c, k) { D.contrastIndex[c.name] = k; });
    return D;
  }
  function geneName(i) { var d = data(); return d.symbol[i] || d.key[i] || d.ensembl[i]; }
  function contrast(k) {
    var d = data(), c = d.contrasts[k];
    if (!c._decoded) {
      c._decoded = {
        baseMean: c.baseMean !== null ? f32(c.baseMean) : null,
        lfc: f32(c.lfc), se: f16(c.lfcSE), shrunk: f16(c.lfcShrunk),
        mlp: f32(c.mlog10p), mlpadj: f32(c.mlog10padj), flags: bytes(c.flags)
      };
    }
    if (!c._decoded.baseMean) c._decoded.baseMean = contrast(c.baseMeanFrom).baseMean;
    return c._decoded;
  }
  function association(k) {
    var a = data().associations[k];
    if (!a._decoded) {
      a._decoded = { est: f32(a.estimate), lo: f16(a.ciLow), hi: f16(a.ciHigh),
        mlp: f32(a.mlog10p), mlpadj: f32(a.mlog10padj) };
    }
    return a._decoded;
  }
  function expression() {
    var d = data();
    if (!d._expr) {
      d._expr = { codes: bytes(d.expression.codes), lo: f32(d.expression.lo), hi: f32(d.expression.hi),
        m: d.samples.m_value ? f32(d.samples.m_value) : null };
    }
    return d._expr;
  }
  function geneValues(i) {
    var e = expression(), ns = data().samples.id.length, out = new Array(ns);
    var lo = e.lo[i], step = (e.hi[i] - e.lo[i]) / 254;
    for (var s = 0; s < ns; s++) {
      var c = e.codes[i * ns + s];
      out[s] = c === 255 ? NaN : lo + c * step;
    }
    return out;
  }

  /* ------------------------------------------------------------------ number formats */
  function minus(s) { return s.replace(/^-/, "\u2212"); }
  function fnum(v, d) {
    if (v === null || v === undefined || !isFinite(v)) return "NA";
    d = d === undefined ? 2 : d;
    if (v !== 0 && Math.abs(v) < Math.pow(10, -d)) return minus(v.toPrecision(2));
    return minus(v.toFixed(d));
  }
  function fmean(v) {
    if (!isFinite(v)) return "NA";
    return v >= 100 ? Math.round(v).toLocaleString("en-US") : v.toPrecision(3);
  }
  function pFromMlog(m) {
    if (m === undefined || isNaN(m)) return NaN;
    return m === Infinity ? 0 : Math.pow(10, -m);
  }
  function fp(p) {
    if (!isFinite(p)) return "NA";
    if (p === 0) return "0";
    if (p < 0.001) return p.toExponential(1).replace("e-", "e\u2212");
    return p.toFixed(3).replace(/0+$/, "").replace(/\.$/, "");
  }

  /* ------------------------------------------------------------------ search */
  function matches(q, limit) {
    var d = data();
    q = q.trim().toLowerCase().replace(/\.\d+$/, "");
    if (!q) return [];
    var out = [], seen = new Set();
    function add(i) { if (!seen.has(i) && out.length < limit) { seen.add(i); out.push(i); } }
    if (d.byId.has(q)) add(d.byId.get(q));
    var pre = [], sub = [];
    for (var i = 0; i < d.n && pre.length < 400; i++) {
      var s = d.lower[i];
      if (s.lastIndexOf(q, 0) === 0) pre.push(i);
      else if (q.length > 2 && s.indexOf(q) > 0 && sub.length < 200) sub.push(i);
    }
    function rank(a, b) {
      var ta = a < d.n_tested ? 0 : 1, tb = b < d.n_tested ? 0 : 1;
      return ta - tb || d.lower[a].length - d.lower[b].length || (d.lower[a] < d.lower[b] ? -1 : 1);
    }
    pre.sort(rank).forEach(add);
    sub.sort(rank).forEach(add);
    if (q.lastIndexOf("ensg", 0) === 0) {
      for (var j = 0; j < d.n && out.length < limit; j++) {
        if (d.ensembl[j].toLowerCase().lastIndexOf(q, 0) === 0) add(j);
      }
    }
    return out;
  }

  function initSearch() {
    var box = $("#gene-search"), list = $("#gene-suggest");
    if (!box) return;
    var current = [], active = -1;
    function show() {
      var d = data();
      current = matches(box.value, 12);
      active = current.length ? 0 : -1;
      list.innerHTML = current.map(function (i, k) {
        var extra = [d.key[i], d.ensembl[i]].filter(Boolean).join(" · ");
        var note = i < d.n_tested ? "" : " (not tested)";
        return '<li role="option" data-i="' + i + '"' + (k === 0 ? ' class="active"' : "") + ">" +
          esc(geneName(i)) + "<span>" + esc(extra + note) + "</span></li>";
      }).join("");
      if (box.value.trim() && !current.length) list.innerHTML = '<li class="none">no gene matches</li>';
    }
    function pick(i) { list.innerHTML = ""; openGene(i, true); }
    box.addEventListener("input", show);
    box.addEventListener("focus", function () { data(); });
    box.addEventListener("keydown", function (ev) {
      if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
        if (!current.length) return;
        active = (active + (ev.key === "ArrowDown" ? 1 : current.length - 1)) % current.length;
        $$("li", list).forEach(function (li, k) { li.classList.toggle("active", k === active); });
        ev.preventDefault();
      } else if (ev.key === "Enter") {
        if (!current.length) show();
        if (current.length) pick(current[Math.max(active, 0)]);
        ev.preventDefault();
      } else if (ev.key === "Escape") {
        list.innerHTML = "";
      }
    });
    list.addEventListener("mousedown", function (ev) {
      var li = ev.target.closest("li[data-i]");
      if (li) { pick(parseInt(li.getAttribute("data-i"), 10)); ev.preventDefault(); }
    });
    document.addEventListener("click", function (ev) {
      if (!ev.target.closest(".searchbar")) list.innerHTML = "";
    });
    $$("[data-gene]").forEach(function (b) {
      b.addEventListener("click", function () {
        var i = data().byId.get(b.getAttribute("data-gene").toLowerCase());
        if (i !== undefined) openGene(i, true);
      });
    });
    window.addEventListener("hashchange", fromHash);
    fromHash();
  }
  function fromHash() {
    var m = /^#gene=(.+)$/.exec(location.hash);
    if (!m) return;
    var d = data(), i = d.byId.get(decodeURIComponent(m[1]).toLowerCase());
    if (i !== undefined && i !== SELECTED) openGene(i, false);
  }

  /* ------------------------------------------------------------------ gene view */
  var SELECTED = -1;
  var FLAG = { fitted: 1, tested: 2, filtered: 4, outlier: 8, unwanted: 16 };

  function ciBar(est, lo, hi, span) {
    var w = 90, h = 10, m = span || Math.max(Math.abs(lo), Math.abs(hi), 1e-9);
    function sx(v) { return w / 2 + Math.max(-1, Math.min(1, v / m)) * (w / 2 - 3); }
    var col = (lo > 0 || hi < 0) ? RED : INK;
    return '<svg width="' + w + '" height="' + h + '" aria-hidden="true"><line x1="' + w / 2 + '" x2="' + w / 2 +
      '" y1="0" y2="' + h + '" stroke="' + GREY + '"/><line x1="' + sx(lo).toFixed(1) + '" x2="' + sx(hi).toFixed(1) +
      '" y1="5" y2="5" stroke="' + col + '" stroke-width="1.4"/><circle cx="' + sx(est).toFixed(1) +
      '" cy="5" r="2.3" fill="' + col + '"/></svg>';
  }

  function contrastRows(i) {
    var d = data(), rows = [], span = 0, k, c, x;
    for (k = 0; k < d.contrasts.length; k++) {
      x = contrast(k);
      if (x.flags[i] & FLAG.fitted) {
        var q = d.contrasts[k].q || 1.96;
        span = Math.max(span, Math.abs(x.lfc[i]) + q * x.se[i]);
      }
    }
    for (k = 0; k < d.contrasts.length; k++) {
      c = d.contrasts[k]; x = contrast(k);
      var f = x.flags[i], link = '<a href="#contrast-' + esc(c.name.toLowerCase().replace(/[^a-z0-9]/g, "-")) + '">' + esc(c.name) + "</a>";
      if (!(f & FLAG.fitted)) {
        rows.push('<tr data-contrast="' + esc(c.name) + '"><td>' + link + '</td><td colspan="6" class="na">not tested: below this design\u2019s count filter</td></tr>');
        continue;
      }
      var qq = c.q || 1.96, lo = x.lfc[i] - qq * x.se[i], hi = x.lfc[i] + qq * x.se[i];
      var padj = pFromMlog(x.mlpadj[i]), notes = [];
      if (f & FLAG.filtered) notes.push("padj NA: independent filtering");
      if (f & FLAG.outlier) notes.push("Cook\u2019s outlier");
      if (f & FLAG.unwanted) notes.push("negative control of the unwanted-variation factor: not a finding");
      var sig = padj < c.alpha;
      rows.push('<tr data-contrast="' + esc(c.name) + '"' + (sig ? ' class="sig"' : "") + ' title="' + esc(c.description) + '"><td>' + link + "</td>" +
        '<td class="num" data-k="baseMean">' + fmean(x.baseMean[i]) + "</td>" +
        '<td class="num" data-k="lfc">' + fnum(x.lfc[i], 3) + "</td>" +
        '<td class="num" data-k="ci">[' + fnum(lo, 2) + ", " + fnum(hi, 2) + "]</td>" +
        "<td>" + ciBar(x.lfc[i], lo, hi, span) + "</td>" +
        '<td class="num" data-k="p">' + fp(pFromMlog(x.mlp[i])) + "</td>" +
        '<td class="num" data-k="padj">' + fp(padj) + "</td>" +
        '<td class="note">' + esc(notes.join("; ")) + "</td></tr>");
    }
    return '<table class="gene" id="gene-contrasts"><caption>Every contrast</caption>' +
      "<thead><tr><th>contrast</th><th>baseMean</th><th>log2FC</th><th>95 % CI</th><th></th><th>p</th><th>padj</th><th></th></tr></thead><tbody>" +
      rows.join("") + '</tbody></table><p class="note">MLE log2 fold change with its 95 % CI (red row: padj below the contrast\u2019s alpha); click a contrast for its section.</p>';
  }

  function associationRows(i) {
    var d = data();
    if (!d.associations.length) return "";
    var rows = d.associations.map(function (a, k) {
      var x = association(k);
      var label = '<td title="' + esc(a.what) + '">' + esc(a.label || a.name) + (a.n ? ' <span class="note">(n = ' + a.n + ")</span>" : "") + "</td>";
      if (!isFinite(x.est[i])) {
        return '<tr data-assoc="' + esc(a.name) + '">' + label + '<td colspan="5" class="na">not tested: below the count filter of this analysis</td></tr>';
      }
      var padj = pFromMlog(x.mlpadj[i]);
      return '<tr data-assoc="' + esc(a.name) + '"' + (padj < 0.05 ? ' class="sig"' : "") + ">" + label +
        '<td class="num" data-k="estimate">' + fnum(x.est[i], 3) + "</td>" +
        '<td class="num" data-k="ci">[' + fnum(x.lo[i], 2) + ", " + fnum(x.hi[i], 2) + "]</td>" +
        "<td>" + ciBar(x.est[i], x.lo[i], x.hi[i]) + "</td>" +
        '<td class="num" data-k="p">' + fp(pFromMlog(x.mlp[i])) + "</td>" +
        '<td class="num" data-k="padj">' + fp(padj) + "</td></tr>";
    });
    return '<table class="gene" id="gene-mvalue"><caption>Association with insulin sensitivity (M-value)</caption>' +
      "<thead><tr><th>analysis</th><th>estimate</th><th>95 % CI</th><th></th><th>p</th><th>padj</th></tr></thead><tbody>" +
      rows.join("") + '</tbody></table><p class="note">' + d.associations.map(function (a) { return "<b>" + esc(a.label || a.name) + "</b>: " + esc(a.what); }).join("; ") + ". Red row: padj &lt; 0.05.</p>";
  }

  function el(name, attrs, text) {
    var e = document.createElementNS(SVGNS, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function niceTicks(lo, hi, n) {
    if (!(hi > lo)) return [lo];
    var raw = (hi - lo) / (n || 4), mag = Math.pow(10, Math.floor(Math.log10(raw)));
    var step = [1, 2, 2.5, 5, 10].map(function (m) { return m * mag; }).filter(function (s) { return s >= raw; })[0];
    var out = [];
    for (var t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(+t.toFixed(10));
    return out;
  }

  function states() {
    var s = data().samples, lv = s.levels, out = [], idx = {};
    var visits = lv.visit || [""], clamps = lv.clamp || [null];
    visits.forEach(function (v, a) {
      clamps.forEach(function (c, b) {
        idx[a + ":" + (c === null ? 0 : b)] = out.length;
        out.push(c === null ? v : v + " " + c);
      });
    });
    var pos = s.id.map(function (_, k) { return idx[(s.visit ? s.visit[k] : 0) + ":" + (s.clamp ? s.clamp[k] : 0)]; });
    return { labels: out, pos: pos };
  }

  function trajectory(i) {
    var d = data(), s = d.samples, y = geneValues(i), st = states(), arms = s.levels.arm || [""];
    var panelW = 270, gap = 24, h = 260, left = 46, top = 22, bottom = 44, right = 10;
    var W = left + arms.length * panelW + (arms.length - 1) * gap + right;
    var ys = y.filter(isFinite), lo = Math.min.apply(null, ys), hi = Math.max.apply(null, ys);
    var pad = (hi - lo) * 0.06 || 0.5; lo -= pad; hi += pad;
    var svgEl = el("svg", { "class": "traj", viewBox: "0 0 " + W + " " + h, width: W, height: h, role: "img",
      "aria-label": "expression of " + geneName(i) + " by participant, arm, visit and clamp state" });
    function sy(v) { return top + (hi - v) / (hi - lo) * (h - top - bottom); }
    niceTicks(lo, hi, 5).forEach(function (t) {
      arms.forEach(function (_, a) {
        var px0 = left + a * (panelW + gap);
        svgEl.appendChild(el("line", { x1: px0, x2: px0 + panelW, y1: sy(t), y2: sy(t), stroke: "#eef1f4" }));
      });
      svgEl.appendChild(el("text", { x: left - 4, y: sy(t) + 3, "text-anchor": "end", "font-size": 9 }, fnum(t, 1)));
    });
    svgEl.appendChild(el("text", { transform: "translate(11 " + (top + (h - top - bottom) / 2) + ") rotate(-90)",
      "text-anchor": "middle", "font-size": 9 }, d.expression.what));
    arms.forEach(function (arm, a) {
      var x0 = left + a * (panelW + gap) + 22, x1 = left + a * (panelW + gap) + panelW - 22, n = st.labels.length;
      function sx(p) { return n === 1 ? (x0 + x1) / 2 : x0 + p * (x1 - x0) / (n - 1); }
      var colour = ARM_COLOURS[a % ARM_COLOURS.length];
      svgEl.appendChild(el("text", { x: (x0 + x1) / 2, y: 13, "text-anchor": "middle", "font-size": 11, "font-weight": 600, fill: colour }, arm));
      st.labels.forEach(function (lab, p) {
        var parts = lab.split(" ");
        svgEl.appendChild(el("text", { x: sx(p), y: h - bottom + 14, "text-anchor": "middle", "font-size": 8.5 }, parts[0]));
        if (parts[1]) svgEl.appendChild(el("text", { x: sx(p), y: h - bottom + 25, "text-anchor": "middle", "font-size": 8.5 }, parts[1]));
      });
      var byP = new Map(), sums = new Array(n).fill(0), cnt = new Array(n).fill(0);
      s.id.forEach(function (_, k) {
        if ((s.arm ? s.arm[k] : 0) !== a || !isFinite(y[k])) return;
        var pid = s.participant[k];
        if (!byP.has(pid)) byP.set(pid, []);
        byP.get(pid).push(k);
        sums[st.pos[k]] += y[k]; cnt[st.pos[k]] += 1;
      });
      var g = el("g", { "class": "participants" });
      byP.forEach(function (ks, pid) {
        ks.sort(function (u, v) { return st.pos[u] - st.pos[v]; });
        if (ks.length > 1) {
          g.appendChild(el("polyline", { points: ks.map(function (k) { return sx(st.pos[k]).toFixed(1) + "," + sy(y[k]).toFixed(1); }).join(" "),
            fill: "none", stroke: colour, "stroke-opacity": 0.35, "stroke-width": 0.8 }));
        }
        ks.forEach(function (k) {
          var c = el("circle", { cx: sx(st.pos[k]).toFixed(1), cy: sy(y[k]).toFixed(1), r: 2.1, fill: colour, "fill-opacity": 0.55, "class": "pt" });
          c.appendChild(el("title", {}, pid + " \u00b7 " + s.id[k] + " \u00b7 " + st.labels[st.pos[k]] + ": " + fnum(y[k], 2)));
          g.appendChild(c);
        });
      });
      svgEl.appendChild(g);
      var pts = [];
      for (var p = 0; p < n; p++) if (cnt[p]) pts.push(sx(p).toFixed(1) + "," + sy(sums[p] / cnt[p]).toFixed(1));
      svgEl.appendChild(el("polyline", { points: pts.join(" "), fill: "none", stroke: colour, "stroke-width": 2.6, "class": "mean" }));
    });
    return svgEl;
  }

  function mScatter(i) {
    var d = data(), s = d.samples, e = expression();
    if (!e.m || !s.levels.visit) return null;
    var y = geneValues(i), ref = d.reference, lv = s.levels;
    var vb = lv.visit.indexOf(ref.baseline), cb = lv.clamp ? lv.clamp.indexOf(ref.basal) : -1;
    var ks = s.id.map(function (_, k) { return k; }).filter(function (k) {
      return s.visit[k] === vb && (cb < 0 || s.clamp[k] === cb) && isFinite(e.m[k]) && isFinite(y[k]);
    });
    if (ks.length < 3) return null;
    var W = 300, h = 260, left = 46, top = 22, bottom = 36, right = 10;
    var xs = ks.map(function (k) { return e.m[k]; }), yy = ks.map(function (k) { return y[k]; });
    var xlo = Math.min.apply(null, xs), xhi = Math.max.apply(null, xs), ylo = Math.min.apply(null, yy), yhi = Math.max.apply(null, yy);
    var px = (xhi - xlo) * 0.06 || 0.5, py = (yhi - ylo) * 0.06 || 0.5;
    xlo -= px; xhi += px; ylo -= py; yhi += py;
    function sx(v) { return left + (v - xlo) / (xhi - xlo) * (W - left - right); }
    function sy(v) { return top + (yhi - v) / (yhi - ylo) * (h - top - bottom); }
    var svgEl = el("svg", { "class": "mscatter", viewBox: "0 0 " + W + " " + h, width: W, height: h, role: "img",
      "aria-label": "expression of " + geneName(i) + " against M-value at baseline" });
    svgEl.appendChild(el("text", { x: (left + W - right) / 2, y: 13, "text-anchor": "middle", "font-size": 11, "font-weight": 600 }, "vs M-value (" + lv.visit[vb] + (cb >= 0 ? ", " + lv.clamp[cb] : "") + ")"));
    niceTicks(ylo, yhi, 5).forEach(function (t) {
      svgEl.appendChild(el("line", { x1: left, x2: W - right, y1: sy(t), y2: sy(t), stroke: "#eef1f4" }));
      svgEl.appendChild(el("text", { x: left - 4, y: sy(t) + 3, "text-anchor": "end", "font-size": 9 }, fnum(t, 1)));
    });
    niceTicks(xlo, xhi, 5).forEach(function (t) {
      svgEl.appendChild(el("text", { x: sx(t), y: h - bottom + 12, "text-anchor": "middle", "font-size": 9 }, fnum(t, 1)));
    });
    svgEl.appendChild(el("text", { x: (left + W - right) / 2, y: h - 4, "text-anchor": "middle", "font-size": 9 }, "M-value"));
    svgEl.appendChild(el("text", { transform: "translate(11 " + (top + (h - top - bottom) / 2) + ") rotate(-90)",
      "text-anchor": "middle", "font-size": 9 }, d.expression.what));
    ks.forEach(function (k) {
      var a = s.arm ? s.arm[k] : 0;
      var c = el("circle", { cx: sx(e.m[k]).toFixed(1), cy: sy(y[k]).toFixed(1), r: 3, fill: ARM_COLOURS[a % 4], "fill-opacity": 0.75 });
      c.appendChild(el("title", {}, s.participant[k] + " \u00b7 " + s.id[k] + ": M " + fnum(e.m[k], 2) + ", " + fnum(y[k], 2)));
      svgEl.appendChild(c);
    });
    return svgEl;
  }

  function openGene(i, scroll) {
    var d = data(), view = $("#gene-view");
    if (!view || i === undefined || i < 0) return;
    SELECTED = i;
    var name = geneName(i);
    var ids = [d.key[i], d.ensembl[i]].filter(Boolean).join(" \u00b7 ");
    var head = '<div class="gene-head"><h3 id="gene-name">' + esc(name) + '</h3><span class="ids">' + esc(ids) + "</span>" +
      (d.goiSet.has(i) ? '<span class="tag">gene of interest</span>' : "") + "</div>";
    var sec = $("#gene-explorer");
    if (sec) sec.classList.remove("empty");
    if (i >= d.n_tested) {
      view.innerHTML = head + '<p class="warn" id="gene-untested">' + esc(name) +
        " is in the counts but was not tested in any contrast or association: it has too few reads (the count filter of <code>de.min_count</code> / <code>de.min_samples</code>).</p>";
    } else {
      view.innerHTML = head + '<div class="gene-tables">' + contrastRows(i) + associationRows(i) +
        '</div><div class="gene-plots"><figure id="gene-trajectory"></figure><figure id="gene-m"></figure></div>';
      var tfig = $("#gene-trajectory"), tsvg = trajectory(i);
      tfig.appendChild(tsvg);
      tfig.style.width = tsvg.getAttribute("width") + "px";
      var cap = document.createElement("figcaption");
      cap.textContent = "Each participant's biopsies (thin lines; hover a point for participant, sample and value) and the arm mean (thick), by visit and clamp state. Values are " +
        d.expression.what + ", quantised to 1/254 of this gene's range.";
      tfig.appendChild(cap);
      var m = mScatter(i);
      if (m) {
        var mfig = $("#gene-m");
        mfig.appendChild(m);
        mfig.style.width = m.getAttribute("width") + "px";
        var cap2 = document.createElement("figcaption");
        cap2.textContent = "Baseline basal biopsies: expression against M-value, coloured by arm (descriptive; the tests adjust for covariates).";
        mfig.appendChild(cap2);
      }
    }
    var want = "#gene=" + encodeURIComponent(name);
    if (location.hash !== want) { try { history.replaceState(null, "", want); } catch (err) { /* file: URL */ } }
    redrawPlots();
    if (scroll && sec) sec.scrollIntoView({ block: "start" });
  }

  /* ------------------------------------------------------------------ volcano and MA */
  var PLOTS = [];
  var tip = null;
  function showTip(text, x, y) {
    tip = tip || $("#tooltip");
    if (!tip) return;
    tip.innerHTML = text;
    tip.style.display = "block";
    var w = tip.offsetWidth;
    tip.style.left = Math.min(x + 14, window.innerWidth - w - 8) + "px";
    tip.style.top = (y + 14) + "px";
  }
  function hideTip() { if (tip) tip.style.display = "none"; }

  function Plot(canvas) {
    this.canvas = canvas;
    this.kind = canvas.getAttribute("data-kind");
    this.name = canvas.getAttribute("data-contrast");
    this.ready = false;
    var self = this;
    canvas.addEventListener("mousemove", function (ev) { self.hover(ev); });
    canvas.addEventListener("mouseleave", function () { hideTip(); self.hot = -1; });
    canvas.addEventListener("click", function (ev) {
      var i = self.nearest(ev);
      if (i >= 0) openGene(i, true);
    });
  }
  Plot.prototype.prepare = function () {
    var d = data(), k = d.contrastIndex[this.name];
    if (k === undefined) return false;
    var x = contrast(k), c = d.contrasts[k], n = d.n_tested;
    this.k = k;
    var xs = [], ys = [], idx = [], sig = [];
    var cut = -Math.log10(c.alpha);
    var ycol = this.kind === "ma" ? (x.shrunk || x.lfc) : x.mlp;
    this.ylabel = this.kind === "ma" ? (x.shrunk ? "log2 fold change (shrunk)" : "log2 fold change (MLE)") : "\u2212log10 p-value";
    this.xlabel = this.kind === "ma" ? "mean of normalised counts (log10)" : "log2 fold change (MLE)";
    var ymaxFinite = 0;
    for (var i = 0; i < n; i++) {
      if (!(x.flags[i] & 1)) continue;
      var xv = this.kind === "ma" ? Math.log10(x.baseMean[i]) : x.lfc[i], yv = ycol[i];
      if (!isFinite(xv) || isNaN(yv)) continue;
      if (isFinite(yv)) ymaxFinite = Math.max(ymaxFinite, yv);
      xs.push(xv); ys.push(yv); idx.push(i); sig.push(x.mlpadj[i] > cut);
    }
    for (var j = 0; j < ys.length; j++) if (ys[j] === Infinity) ys[j] = ymaxFinite * 1.05 || 1;
    this.xs = xs; this.ys = ys; this.idx = idx; this.sig = sig;
    var xlo = Math.min.apply(null, xs), xhi = Math.max.apply(null, xs);
    var ylo = this.kind === "ma" ? Math.min.apply(null, ys) : 0, yhi = Math.max.apply(null, ys);
    if (this.kind === "volcano") { var m = Math.max(Math.abs(xlo), Math.abs(xhi)); xlo = -m; xhi = m; }
    if (this.kind === "ma") { var my = Math.max(Math.abs(ylo), Math.abs(yhi)); ylo = -my; yhi = my; }
    var px = (xhi - xlo) * 0.04 || 1, py = (yhi - ylo) * 0.04 || 1;
    this.dom = [xlo - px, xhi + px, ylo - (this.kind === "ma" ? py : 0), yhi + py];
    this.nsig = sig.filter(Boolean).length;
    this.alpha = c.alpha;
    this.ready = true;
    return true;
  };
  Plot.prototype.geometry = function () {
    var r = this.canvas.getBoundingClientRect();
    return { w: r.width, h: r.height, l: 48, rt: 10, t: 12, b: 38 };
  };
  Plot.prototype.sx = function (v, g) { return g.l + (v - this.dom[0]) / (this.dom[1] - this.dom[0]) * (g.w - g.l - g.rt); };
  Plot.prototype.sy = function (v, g) { return g.t + (this.dom[3] - v) / (this.dom[3] - this.dom[2]) * (g.h - g.t - g.b); };
  Plot.prototype.draw = function () {
    if (!this.ready && !this.prepare()) return;
    var g = this.geometry(), dpr = window.devicePixelRatio || 1, cv = this.canvas;
    if (g.w === 0) return;
    cv.width = Math.round(g.w * dpr); cv.height = Math.round(g.h * dpr);
    var ctx = cv.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, g.w, g.h);
    ctx.font = "10px system-ui, sans-serif";
    ctx.strokeStyle = INK; ctx.fillStyle = INK; ctx.lineWidth = 0.6;
    var self = this;
    niceTicks(this.dom[0], this.dom[1], 6).forEach(function (t) {
      var x = self.sx(t, g);
      ctx.fillStyle = "#eef1f4"; ctx.fillRect(x, g.t, 1, g.h - g.t - g.b);
      ctx.fillStyle = INK; ctx.textAlign = "center";
      ctx.fillText(self.kind === "ma" ? (Math.pow(10, t) >= 1000 ? Math.pow(10, t).toExponential(0) : String(+Math.pow(10, t).toPrecision(2))) : fnum(t, t % 1 ? 1 : 0), x, g.h - g.b + 13);
    });
    niceTicks(this.dom[2], this.dom[3], 5).forEach(function (t) {
      var y = self.sy(t, g);
      ctx.fillStyle = "#eef1f4"; ctx.fillRect(g.l, y, g.w - g.l - g.rt, 1);
      ctx.fillStyle = INK; ctx.textAlign = "right";
      ctx.fillText(fnum(t, t % 1 ? 1 : 0), g.l - 4, y + 3);
    });
    ctx.textAlign = "center";
    ctx.fillText(this.xlabel, (g.l + g.w - g.rt) / 2, g.h - 6);
    ctx.save(); ctx.translate(11, (g.t + g.h - g.b) / 2); ctx.rotate(-Math.PI / 2); ctx.fillText(this.ylabel, 0, 0); ctx.restore();
    ctx.strokeRect(g.l, g.t, g.w - g.l - g.rt, g.h - g.t - g.b);
    var n = this.xs.length, i;
    ctx.fillStyle = "rgba(154,160,166,0.5)";
    for (i = 0; i < n; i++) if (!this.sig[i]) ctx.fillRect(this.sx(this.xs[i], g) - 1.2, this.sy(this.ys[i], g) - 1.2, 2.4, 2.4);
    ctx.fillStyle = "rgba(192,57,43,0.85)";
    for (i = 0; i < n; i++) if (this.sig[i]) { ctx.beginPath(); ctx.arc(this.sx(this.xs[i], g), this.sy(this.ys[i], g), 2.2, 0, 6.2832); ctx.fill(); }
    var d = data(), pos = new Map();
    for (i = 0; i < n; i++) pos.set(this.idx[i], i);
    ctx.strokeStyle = INK; ctx.lineWidth = 0.8; ctx.textAlign = "left"; ctx.fillStyle = INK; ctx.font = "9px system-ui, sans-serif";
    d.goi.forEach(function (gi) {
      var p = pos.get(gi);
      if (p === undefined) return;
      var x = self.sx(self.xs[p], g), y = self.sy(self.ys[p], g);
      ctx.beginPath(); ctx.arc(x, y, 3.5, 0, 6.2832); ctx.stroke();
      if (self.sig[p]) ctx.fillText(geneName(gi), x + 4, y - 3);
    });
    if (SELECTED >= 0 && pos.has(SELECTED)) {
      var p = pos.get(SELECTED), x = this.sx(this.xs[p], g), y = this.sy(this.ys[p], g);
      ctx.strokeStyle = SEL; ctx.lineWidth = 2.2;
      ctx.beginPath(); ctx.arc(x, y, 6, 0, 6.2832); ctx.stroke();
      ctx.font = "bold 11px system-ui, sans-serif"; ctx.fillStyle = SEL;
      ctx.fillText(geneName(SELECTED), x + 8, y + 4);
    }
    ctx.font = "10px system-ui, sans-serif"; ctx.fillStyle = RED; ctx.textAlign = "right";
    ctx.fillText("padj < " + this.alpha + ": " + this.nsig.toLocaleString("en-US"), g.w - g.rt - 4, g.t + 12);
    this.g = g;
    this.grid = null;
  };
  Plot.prototype.buildGrid = function () {
    var g = this.g, cell = 8, grid = new Map();
    for (var i = 0; i < this.xs.length; i++) {
      var key = Math.floor(this.sx(this.xs[i], g) / cell) + "," + Math.floor(this.sy(this.ys[i], g) / cell);
      if (!grid.has(key)) grid.set(key, []);
      grid.get(key).push(i);
    }
    this.grid = grid; this.cell = cell;
  };
  Plot.prototype.nearest = function (ev) {
    if (!this.ready || !this.g) return -1;
    if (!this.grid) this.buildGrid();
    var r = this.canvas.getBoundingClientRect(), mx = ev.clientX - r.left, my = ev.clientY - r.top;
    var cx = Math.floor(mx / this.cell), cy = Math.floor(my / this.cell), best = -1, bd = 64;
    for (var a = cx - 1; a <= cx + 1; a++) for (var b = cy - 1; b <= cy + 1; b++) {
      var list = this.grid.get(a + "," + b);
      if (!list) continue;
      for (var j = 0; j < list.length; j++) {
        var p = list[j], dx = this.sx(this.xs[p], this.g) - mx, dy = this.sy(this.ys[p], this.g) - my, dd = dx * dx + dy * dy;
        if (dd < bd || (dd === bd && this.sig[p])) { bd = dd; best = p; }
      }
    }
    return best < 0 ? -1 : this.idx[best];
  };
  Plot.prototype.hover = function (ev) {
    var i = this.nearest(ev);
    if (i < 0) { hideTip(); this.canvas.removeAttribute("data-hover"); return; }
    var d = data(), x = contrast(this.k);
    this.canvas.setAttribute("data-hover", geneName(i));
    showTip("<b>" + esc(geneName(i)) + "</b> " + esc(d.key[i] || "") + "<br>log2FC " + fnum(x.lfc[i], 3) +
      " \u00b7 p " + fp(pFromMlog(x.mlp[i])) + " \u00b7 padj " + fp(pFromMlog(x.mlpadj[i])) +
      "<br>baseMean " + fmean(x.baseMean[i]) + " \u00b7 click to open", ev.clientX, ev.clientY);
  };

  function redrawPlots() { PLOTS.forEach(function (p) { if (p.visible) p.draw(); }); }

  function initPlots() {
    var canvases = $$("canvas[data-kind]");
    if (!canvases.length || !document.getElementById("gene-data")) return;
    canvases.forEach(function (cv) { PLOTS.push(new Plot(cv)); });
    if ("IntersectionObserver" in window) {
      var io = new IntersectionObserver(function (entries) {
        entries.forEach(function (en) {
          var p = en.target._plot;
          if (en.isIntersecting && !p.visible) { p.visible = true; p.draw(); }
        });
      }, { rootMargin: "200px" });
      PLOTS.forEach(function (p) { p.canvas._plot = p; io.observe(p.canvas); });
    } else {
      PLOTS.forEach(function (p) { p.visible = true; p.draw(); });
    }
    var t = null;
    window.addEventListener("resize", function () { clearTimeout(t); t = setTimeout(redrawPlots, 150); });
  }

  function init() {
    initTables();
    initSearch();
    initPlots();
    window.myoclamp = {
      /* for readers' consoles and the browser test */
      openGene: function (q) {
        var i = data().byId.get(String(q).toLowerCase());
        if (i !== undefined) openGene(i, true);
        return i;
      },
      /* the viewport position of gene q on a contrast's volcano or MA plot (drawn on demand) */
      pointOf: function (name, kind, q) {
        var i = data().byId.get(String(q).toLowerCase());
        var p = PLOTS.filter(function (x) { return x.name === name && x.kind === kind; })[0];
        if (!p || i === undefined) return null;
        p.canvas.scrollIntoView({ block: "center" });
        p.visible = true;
        p.draw();
        var j = p.idx.indexOf(i);
        if (j < 0) return null;
        var r = p.canvas.getBoundingClientRect();
        return { x: r.left + p.sx(p.xs[j], p.g), y: r.top + p.sy(p.ys[j], p.g) };
      }
    };
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
