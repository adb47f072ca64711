/**
 * The page's chart: height and blocks/s over the last hour as inline SVG, drawn from the history points
 * ([unix ms, active height, background height|null, active blocks/s, background blocks/s|null]). No library:
 * two panels of polylines with their scales are all it takes. Served as /chart.js.
 */
export const CHART_JS = String.raw`'use strict';
(function () {
  var NS = 'http://www.w3.org/2000/svg';
  var W = 900, PANEL = 130, GAP = 26, LEFT = 58, RIGHT = 10, TOP = 14;

  function el(name, attrs) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) e.setAttribute(k, String(attrs[k]));
    return e;
  }

  function text(x, y, s, anchor) {
    var t = el('text', { x: x, y: y, 'text-anchor': anchor || 'start' });
    t.textContent = s;
    return t;
  }

  function short(n) {
    if (n >= 1e6) return (n / 1e6).toFixed(1) + 'M';
    if (n >= 1e4) return (n / 1e3).toFixed(0) + 'k';
    return n % 1 === 0 ? String(n) : n.toFixed(1);
  }

  /** One panel: series [{index, color}] of the points, its own vertical scale from 0 (or the lowest height). */
  function panel(svg, points, series, top, label, fromZero) {
    var lo = Infinity, hi = -Infinity;
    points.forEach(function (p) {
      series.forEach(function (s) {
        var v = p[s.index];
        if (v === null || v === undefined) return;
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      });
    });
    if (!isFinite(lo)) { lo = 0; hi = 1; }
    if (fromZero) lo = 0;
    if (hi <= lo) hi = lo + 1;
    var t0 = points.length ? points[0][0] : 0, t1 = points.length ? points[points.length - 1][0] : 1;
    if (t1 <= t0) t1 = t0 + 1;
    var x = function (t) { return LEFT + ((t - t0) / (t1 - t0)) * (W - LEFT - RIGHT); };
    var y = function (v) { return top + PANEL - ((v - lo) / (hi - lo)) * PANEL; };
    svg.appendChild(el('rect', { x: LEFT, y: top, width: W - LEFT - RIGHT, height: PANEL, fill: 'none', stroke: '#27313c' }));
    svg.appendChild(text(LEFT - 6, top + 10, short(hi), 'end'));
    svg.appendChild(text(LEFT - 6, top + PANEL, short(lo), 'end'));
    svg.appendChild(text(LEFT + 6, top + 12, label));
    series.forEach(function (s) {
      var runs = [[]];
      points.forEach(function (p) {
        var v = p[s.index];
        if (v === null || v === undefined) { if (runs[runs.length - 1].length) runs.push([]); return; }
        runs[runs.length - 1].push(x(p[0]).toFixed(1) + ',' + y(v).toFixed(1));
      });
      runs.forEach(function (r) {
        if (r.length === 0) return;
        if (r.length === 1) r.push(r[0]);
        svg.appendChild(el('polyline', { points: r.join(' '), fill: 'none', stroke: s.color, 'stroke-width': 2, 'stroke-linejoin': 'round', 'data-series': s.name }));
      });
    });
    return { t0: t0, t1: t1 };
  }

  window.drawChart = function (container, points) {
    var H = TOP + PANEL * 2 + GAP + 24;
    var svg = el('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': 'height and blocks per second over the last hour' });
    var span = panel(svg, points, [{ index: 1, color: '#f7931a', name: 'active-height' }, { index: 2, color: '#4aa3ff', name: 'background-height' }], TOP, 'height', false);
    panel(svg, points, [{ index: 3, color: '#f7931a', name: 'active-rate' }, { index: 4, color: '#4aa3ff', name: 'background-rate' }], TOP + PANEL + GAP, 'blocks/s', true);
    var seconds = Math.round((span.t1 - span.t0) / 1000);
    svg.appendChild(text(LEFT, H - 4, !points.length ? 'no data yet' : seconds >= 120 ? '-' + Math.round(seconds / 60) + ' min' : '-' + seconds + ' s'));
    svg.appendChild(text(W - RIGHT, H - 4, 'now', 'end'));
    var legend = el('g', {});
    legend.appendChild(el('rect', { x: W - 260, y: H - 14, width: 10, height: 10, fill: '#f7931a' }));
    legend.appendChild(text(W - 246, H - 5, 'active'));
    legend.appendChild(el('rect', { x: W - 190, y: H - 14, width: 10, height: 10, fill: '#4aa3ff' }));
    legend.appendChild(text(W - 176, H - 5, 'background'));
    svg.appendChild(legend);
    container.replaceChildren(svg);
  };
})();
`;
