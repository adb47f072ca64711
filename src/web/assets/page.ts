/**
 * The status page's HTML and CSS, kept as strings so that they travel with the compiled code (dist/) and no
 * build step copies files. The page has sections the script fills in; it works without any framework.
 */
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>chainsnap status</title>
<link rel="stylesheet" href="style.css">
</head>
<body>
<header>
  <h1>chainsnap</h1>
  <span id="network" class="tag"></span>
  <span id="headers" class="muted"></span>
  <span id="uptime" class="muted"></span>
  <span id="live" class="tag off">connecting…</span>
</header>
<main>
  <section class="wide">
    <h2>Chainstates <span id="chainstate-count" class="count"></span></h2>
    <div id="chainstates" data-count="0"></div>
  </section>
  <section class="wide" id="operations-section">
    <h2>Snapshot load and dump</h2>
    <div id="operations"><p class="muted">none running</p></div>
  </section>
  <section class="wide">
    <h2>Height and blocks/s, last hour</h2>
    <div id="chart"></div>
  </section>
  <section>
    <h2>Coins caches</h2>
    <div id="caches"></div>
  </section>
  <section>
    <h2>Disk</h2>
    <div id="disk"></div>
  </section>
  <section class="wide">
    <h2>Peers and block sources</h2>
    <div id="peers"></div>
  </section>
  <section class="wide">
    <h2>Recent warnings and errors <span id="log-counts" class="muted"></span></h2>
    <ol id="log"></ol>
  </section>
</main>
<script src="chart.js"></script>
<script src="app.js"></script>
</body>
</html>
`;

export const STYLE_CSS = `:root { --bg: #0f1419; --panel: #182028; --text: #d8dee6; --muted: #8694a3; --accent: #f7931a;
  --bg2: #4aa3ff; --ok: #3fb950; --warn: #d29922; --err: #f85149; --track: #27313c; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; background: var(--bg); color: var(--text); }
header { display: flex; gap: 14px; align-items: baseline; padding: 14px 22px; border-bottom: 1px solid var(--track); flex-wrap: wrap; }
h1 { font-size: 20px; margin: 0; color: var(--accent); }
h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); margin: 0 0 10px; }
h2 .muted { text-transform: none; letter-spacing: 0; font-weight: 400; margin-left: 6px; }
main { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 14px; padding: 14px 22px; }
section { background: var(--panel); border-radius: 8px; padding: 14px 16px; min-width: 0; }
section.wide { grid-column: 1 / -1; }
.muted { color: var(--muted); }
.tag { border-radius: 10px; padding: 1px 9px; background: var(--track); font-size: 12px; }
.tag.on { background: #1d3b26; color: var(--ok); }
.tag.off { background: #3b2a1d; color: var(--warn); }
.count { color: var(--text); background: var(--track); border-radius: 9px; padding: 0 7px; }
.chainstate { display: grid; grid-template-columns: 150px 1fr; gap: 4px 16px; padding: 10px 0; border-top: 1px solid var(--track); }
.chainstate:first-child { border-top: 0; }
.role { font-weight: 600; text-transform: capitalize; }
.role small { display: block; font-weight: 400; text-transform: none; }
.facts { display: flex; flex-wrap: wrap; gap: 4px 18px; font-variant-numeric: tabular-nums; }
.hash { font-family: ui-monospace, monospace; font-size: 12px; color: var(--muted); overflow-wrap: anywhere; }
.bar { position: relative; height: 14px; background: var(--track); border-radius: 7px; overflow: hidden; margin: 4px 0; }
.fill { position: absolute; left: 0; top: 0; bottom: 0; background: var(--accent); border-radius: 7px; transition: width .4s ease; }
.fill.background { background: var(--bg2); }
.fill.done { background: var(--ok); }
.bar .pct { position: absolute; right: 8px; top: -1px; font-size: 11px; color: #fff; text-shadow: 0 0 3px #000, 0 0 2px #000; }
.stack { display: flex; height: 16px; border-radius: 8px; overflow: hidden; background: var(--track); margin: 6px 0; }
.stack div { height: 100%; }
.legend { display: flex; gap: 12px; flex-wrap: wrap; font-size: 12px; }
.legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; vertical-align: -1px; }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 4px 8px 4px 0; border-bottom: 1px solid var(--track); }
th { color: var(--muted); font-weight: 500; font-size: 12px; }
td.num, th.num { text-align: right; }
#chart svg { width: 100%; height: auto; display: block; }
#chart text { fill: var(--muted); font-size: 11px; }
.ok { color: var(--ok); } .warning { color: var(--warn); } .error { color: var(--err); }
#log { margin: 0; padding-left: 0; list-style: none; font-family: ui-monospace, monospace; font-size: 12px; max-height: 220px; overflow: auto; }
#log li { padding: 2px 0; border-bottom: 1px solid var(--track); overflow-wrap: anywhere; }
@media (max-width: 760px) { main { grid-template-columns: 1fr; } .chainstate { grid-template-columns: 1fr; } }
`;
