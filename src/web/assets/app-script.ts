/**
 * The page's script, served as /app.js: follows /events (Server-Sent Events; the browser reconnects by
 * itself) and renders each snapshot. Text from the node goes in through textContent only, never as HTML.
 */
export const APP_JS = String.raw`'use strict';
(function () {
  var HOUR = 3600 * 1000;
  var points = [];
  var $ = function (id) { return document.getElementById(id); };

  function h(tag, attrs) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) {
      if (k === 'text') e.textContent = attrs[k];
      else if (k === 'style') e.style.cssText = attrs[k];
      else e.setAttribute(k, attrs[k]);
    }
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined || c === false) continue;
      e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    }
    return e;
  }

  function num(n) { return Number(n).toLocaleString('en-US'); }
  function bytes(n) {
    var u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'], i = 0;
    while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
    return (i ? n.toFixed(1) : String(n)) + ' ' + u[i];
  }
  function duration(s) {
    s = Math.max(0, Math.round(s));
    var hh = Math.floor(s / 3600), mm = Math.floor((s % 3600) / 60), ss = s % 60;
    return (hh ? hh + 'h ' : '') + (hh || mm ? mm + 'm ' : '') + ss + 's';
  }
  function ago(ms) { return ms ? duration((Date.now() - ms) / 1000) + ' ago' : 'never'; }
  function pct(x) { return (Math.max(0, Math.min(1, x)) * 100).toFixed(1) + '%'; }

  function bar(fraction, cls, label) {
    var f = Math.max(0, Math.min(1, fraction));
    return h('div', { class: 'bar', 'data-progress': f.toFixed(6) },
      h('div', { class: 'fill ' + (cls || ''), style: 'width:' + (f * 100).toFixed(2) + '%' }),
      h('span', { class: 'pct', text: label || pct(f) }));
  }

  function renderChainstates(s) {
    var box = $('chainstates');
    box.dataset.count = String(s.chainstates.length);
    $('chainstate-count').textContent = String(s.chainstates.length);
    box.replaceChildren.apply(box, s.chainstates.map(function (c) {
      var toward = c.role === 'background' ? 'snapshot base' : 'best header';
      var cls = c.role === 'background' ? 'background' : c.progress >= 1 ? 'done' : '';
      var facts = h('div', { class: 'facts' },
        h('span', { text: 'height ' + num(c.height) + ' of ' + num(c.targetHeight) + ' (' + toward + ')' }),
        c.baseHeight !== undefined ? h('span', { text: 'base ' + num(c.baseHeight) }) : null,
        h('span', { class: 'rate', text: c.blocksPerSecond.toFixed(1) + ' blocks/s' }),
        h('span', { text: 'ETA ' + (c.etaSeconds !== undefined ? duration(c.etaSeconds) : c.height >= c.targetHeight ? 'at target' : 'unknown') }),
        h('span', { class: c.validated ? 'ok' : 'warning', text: c.validated ? 'validated' : 'not validated (assumed from the snapshot)' }));
      return h('div', { class: 'chainstate', 'data-role': c.role, 'data-height': String(c.height) },
        h('div', { class: 'role' }, c.role === 'normal' ? 'chainstate' : c.role, h('small', { class: 'muted', text: c.active ? 'active' : 'validating history' })),
        h('div', {}, bar(c.progress, cls), facts, h('div', { class: 'hash', text: c.hash })));
    }));
  }

  function renderOperations(s) {
    var box = $('operations');
    if (s.operations.length === 0) return box.replaceChildren(h('p', { class: 'muted', text: 'none running' }));
    box.replaceChildren.apply(box, s.operations.map(function (o) {
      var fraction = o.total > 0 ? o.done / o.total : o.state === 'done' ? 1 : 0;
      var what = o.kind === 'loadtxoutset' ? 'snapshot load' : o.kind === 'dumptxoutset' ? 'snapshot dump' : o.kind;
      var line = num(o.done) + (o.total > 0 ? ' of ' + num(o.total) : '') + ' ' + o.unit + ', ' + num(Math.round(o.rate)) + ' ' + o.unit + '/s' +
        (o.etaSeconds !== undefined ? ', ETA ' + duration(o.etaSeconds) : '');
      return h('div', { class: 'operation', 'data-kind': o.kind, 'data-state': o.state },
        h('div', {}, h('strong', { text: what + ' ' }), h('span', { class: 'muted', text: o.target + ' · ' + o.state }), o.error ? h('span', { class: 'error', text: ' ' + o.error }) : null),
        bar(fraction, o.state === 'done' ? 'done' : ''), h('div', { class: 'muted', text: line }));
    }));
  }

  function renderCaches(s) {
    var colors = { snapshot: '#f7931a', normal: '#f7931a', background: '#4aa3ff' };
    var parts = [], legend = [];
    s.chainstates.forEach(function (c) {
      var total = c.coinsDbCacheBytes + c.coinsTipCacheBytes;
      parts.push(h('div', { style: 'width:' + (100 * total / s.dbcacheBytes).toFixed(2) + '%;background:' + colors[c.role] + ';opacity:' + (c.role === 'background' ? 1 : 0.9) }));
      legend.push(h('span', {}, h('i', { style: 'background:' + colors[c.role] }), c.role + ': ' + bytes(total) + ' (db ' + bytes(c.coinsDbCacheBytes) + ', coins ' + bytes(c.coinsTipCacheBytes) + ')'));
    });
    var active = s.chainstates.filter(function (c) { return c.active; })[0];
    $('caches').replaceChildren(h('div', { text: '-dbcache ' + bytes(s.dbcacheBytes) + ' split between the chainstates' }),
      h('div', { class: 'stack' }, ...parts), h('div', { class: 'legend' }, ...legend),
      active && active.coinsCacheUsage !== undefined
        ? h('div', { class: 'muted', text: 'active coins cache holds ' + bytes(active.coinsCacheUsage) + ' (' + num(active.coinsCacheEntries) + ' coins) of its ' + bytes(active.coinsTipCacheBytes) }) : null);
  }

  function renderDisk(s) {
    var max = Math.max.apply(null, [1].concat(s.disk.map(function (d) { return d.bytes; })));
    $('disk').replaceChildren(h('table', {}, h('tr', {}, h('th', { text: 'directory' }), h('th', { class: 'num', text: 'size' }), h('th', { text: '' })),
      ...s.disk.map(function (d) {
        return h('tr', {}, h('td', { text: d.name + '/' }), h('td', { class: 'num', text: bytes(d.bytes) }), h('td', { style: 'width:45%' }, bar(d.bytes / max, d.name === 'blocks' ? '' : 'background', ' ')));
      })));
  }

  function renderPeers(s) {
    var rows = [];
    s.sources.forEach(function (src) {
      rows.push(h('tr', {}, h('td', { text: 'source ' + src.name + (src.url ? ' (' + src.url + ')' : '') }), h('td', { text: src.state }),
        h('td', { class: 'num', text: src.tipHeight >= 0 ? num(src.tipHeight) : '?' }), h('td', { class: 'num', text: bytes(src.bytesReceived) }),
        h('td', { class: 'num', text: '—' }), h('td', { text: ago(src.lastActivity) })));
    });
    s.peers.forEach(function (p) {
      rows.push(h('tr', {}, h('td', { text: 'peer ' + p.id + ' ' + p.address + (p.inbound ? ' (inbound)' : '') }), h('td', { text: p.subversion || '' }),
        h('td', { class: 'num', text: p.height >= 0 ? num(p.height) : '?' }), h('td', { class: 'num', text: bytes(p.bytesIn) }),
        h('td', { class: 'num', text: bytes(p.bytesOut) }), h('td', { text: ago(p.lastActivity) })));
    });
    var head = h('tr', {}, h('th', { text: 'name' }), h('th', { text: 'state' }), h('th', { class: 'num', text: 'height' }), h('th', { class: 'num', text: 'in' }), h('th', { class: 'num', text: 'out' }), h('th', { text: 'last activity' }));
    $('peers').replaceChildren(rows.length ? h('table', {}, head, ...rows) : h('p', { class: 'muted', text: 'no block sources and no peers' }),
      s.peers.length === 0 ? h('p', { class: 'muted', text: 'P2P peers: none connected' }) : null);
  }

  function renderLog(s) {
    var plural = function (n, what) { return n + ' ' + what + (n === 1 ? '' : 's'); };
    $('log-counts').textContent = plural(s.log.warnings, 'warning') + ', ' + plural(s.log.errors, 'error') + ' since start';
    var items = s.log.recent.slice().reverse().map(function (e) {
      return h('li', { class: e.level }, new Date(e.time).toISOString().slice(11, 19) + ' ' + e.level + (e.category ? ' [' + e.category + ']' : '') + ' ' + e.message);
    });
    $('log').replaceChildren.apply($('log'), items.length ? items : [h('li', { class: 'muted', text: 'none' })]);
  }

  function render(s) {
    $('network').textContent = s.network;
    $('headers').textContent = 'headers ' + num(s.headers);
    $('uptime').textContent = 'up ' + duration(s.uptimeSeconds);
    renderChainstates(s);
    renderOperations(s);
    renderCaches(s);
    renderDisk(s);
    renderPeers(s);
    renderLog(s);
  }

  function drawChart() {
    var cut = Date.now() - HOUR;
    while (points.length && points[0][0] < cut) points.shift();
    window.drawChart($('chart'), points);
  }

  var source = new EventSource('events');
  source.addEventListener('open', function () { $('live').textContent = 'live'; $('live').className = 'tag on'; });
  source.addEventListener('error', function () { $('live').textContent = 'reconnecting…'; $('live').className = 'tag off'; });
  source.addEventListener('history', function (e) { points = JSON.parse(e.data); drawChart(); });
  source.addEventListener('status', function (e) {
    var msg = JSON.parse(e.data);
    if (msg.point) { points.push(msg.point); drawChart(); }
    render(msg.snapshot);
    document.body.dataset.updated = String(msg.snapshot.time);
  });
})();
`;
