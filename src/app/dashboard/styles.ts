/**
 * The dashboard's stylesheet, served from /assets (no inline styles, for the CSP). Colours of the
 * progress stages are shared by bars, legends and the timeline; text colours keep at least 4.5:1
 * contrast on their backgrounds.
 */
export const DASHBOARD_CSS = String.raw`
:root {
  --ink: #14213d;
  --muted: #4a5568;
  --line: #d8dee9;
  --bg: #f4f6fa;
  --card: #ffffff;
  --accent: #1d4ed8;
  --installed: #1e3a8a;
  --delivered: #3b82f6;
  --transit: #f59e0b;
  --ordered: #c4b5fd;
  --allocated: #e2e8f0;
  --live: #15803d;
  --offline: #6b7280;
  --warn-bg: #fff7e0;
  --warn-ink: #6b4500;
  --focus: #c2410c;
  --radius: 12px;
  color-scheme: light;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0;
  font-family: system-ui, -apple-system, "Segoe UI", "Noto Sans KR", "Noto Sans CJK KR", "Apple SD Gothic Neo", "Malgun Gothic", Roboto, sans-serif;
  font-size: 16px;
  line-height: 1.5;
  color: var(--ink);
  background: var(--bg);
}
:lang(ko) body, body:lang(ko) { word-break: keep-all; }
a { color: var(--accent); }
a:hover { text-decoration-thickness: 2px; }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; border-radius: 4px; }
main:focus { outline: none; }
h1, h2, h3 { line-height: 1.25; margin: 0 0 .5rem; }
h2 { font-size: 1.25rem; }
h3 { font-size: 1.05rem; }
p { margin: .25rem 0; }
.wrap { max-width: 1200px; margin: 0 auto; padding: 0 16px; }
.muted { color: var(--muted); }
.num { font-variant-numeric: tabular-nums; }
.skip-link { position: absolute; left: 8px; top: -48px; background: var(--ink); color: #fff; padding: 8px 12px; border-radius: 6px; z-index: 10; }
.skip-link:focus { top: 8px; }
.visually-hidden { position: absolute !important; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }

/* Header */
.top { background: var(--ink); color: #fff; padding: 14px 0; }
.top-inner { display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: 12px 24px; }
.brand-title { font-size: 1.4rem; font-weight: 700; margin: 0; }
.brand-link { color: #fff; text-decoration: none; }
.brand-link:hover { text-decoration: underline; }
.tagline { color: #dbe3f0; font-size: .92rem; margin: 2px 0 0; max-width: 60ch; }
.top-controls { display: flex; align-items: center; gap: 12px; flex-wrap: wrap; }
.live { display: inline-flex; align-items: center; gap: 8px; margin: 0; padding: 4px 12px; border-radius: 999px; background: #2b3a5c; font-size: .9rem; font-weight: 600; white-space: nowrap; }
.live-dot { width: 10px; height: 10px; border-radius: 50%; background: var(--offline); }
.live[data-state="live"] { background: #e7f6ec; color: #0f5c2b; }
.live[data-state="live"] .live-dot { background: var(--live); box-shadow: 0 0 0 0 rgba(21,128,61,.6); animation: pulse 2s infinite; }
.live[data-state="offline"] { background: #e5e7eb; color: #374151; }
.live[data-state="offline"] .live-dot { background: var(--offline); }
@keyframes pulse { 0% { box-shadow: 0 0 0 0 rgba(21,128,61,.55); } 70% { box-shadow: 0 0 0 8px rgba(21,128,61,0); } 100% { box-shadow: 0 0 0 0 rgba(21,128,61,0); } }
@media (prefers-reduced-motion: reduce) { .live[data-state="live"] .live-dot { animation: none; } }
.lang-switch { display: inline-flex; border: 1px solid #8a9bbd; border-radius: 8px; overflow: hidden; }
.lang-switch button { font: inherit; font-size: .9rem; padding: 4px 12px; min-height: 36px; border: 0; background: transparent; color: #fff; cursor: pointer; }
.lang-switch button[aria-pressed="true"] { background: #fff; color: var(--ink); font-weight: 700; }

.demo-banner { background: var(--warn-bg); color: var(--warn-ink); border-bottom: 1px solid #f0d58a; }
.demo-banner p { padding-top: 8px; padding-bottom: 8px; font-size: .92rem; }
.badge-illustrative { display: inline-block; font-size: .75rem; font-weight: 600; color: var(--warn-ink); background: var(--warn-bg); border: 1px solid #e9c46a; border-radius: 999px; padding: 0 8px; margin-left: 6px; white-space: nowrap; }

main.wrap { padding-top: 20px; padding-bottom: 24px; display: grid; gap: 20px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: var(--radius); padding: 20px; min-width: 0; }
.section-head { display: flex; flex-wrap: wrap; align-items: baseline; justify-content: space-between; gap: 8px 16px; }
.field { display: inline-flex; align-items: center; gap: 8px; margin: 0; }
select, input[type="date"] { font: inherit; padding: 6px 10px; border: 1px solid #8492a6; border-radius: 8px; background: #fff; color: var(--ink); min-height: 40px; }
.btn { font: inherit; padding: 6px 14px; min-height: 40px; border-radius: 8px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; }
.btn:disabled { background: #e5e7eb; border-color: #c4c9d2; color: #4b5563; cursor: default; }
.btn-quiet { background: #fff; color: var(--accent); }
.notice { background: #fdecec; color: #8a1c1c; border-radius: 8px; padding: 10px 14px; }

/* National totals */
.headline { display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 16px; margin-bottom: 12px; }
.headline-main { font-size: 2rem; font-weight: 800; letter-spacing: -.01em; }
.headline-main .big { color: var(--installed); }
.headline-detail { font-size: 1.05rem; color: var(--muted); }
.stack { display: flex; height: 28px; border-radius: 8px; overflow: hidden; background: var(--allocated); border: 1px solid #c5cedb; }
.stack.small { height: 14px; border-radius: 6px; }
.seg { height: 100%; min-width: 0; }
.seg-installed { background: var(--installed); }
.seg-delivered { background: var(--delivered); }
.seg-transit { background: var(--transit); }
.seg-ordered { background: var(--ordered); }
.seg-notordered { background: var(--allocated); }
.legend { display: flex; flex-wrap: wrap; gap: 6px 18px; list-style: none; padding: 0; margin: 10px 0 0; font-size: .9rem; }
.legend li { display: inline-flex; align-items: center; gap: 6px; }
.swatch { width: 12px; height: 12px; border-radius: 3px; display: inline-block; border: 1px solid rgba(0,0,0,.15); }
.tiles { display: grid; grid-template-columns: repeat(6, minmax(0, 1fr)); gap: 10px; margin: 16px 0 0; padding: 0; }
.tile { border: 1px solid var(--line); border-radius: 10px; padding: 10px 12px; border-top: 5px solid var(--line); margin: 0; }
.tile dt { font-size: .85rem; color: var(--muted); }
.tile dd { margin: 0; font-size: 1.45rem; font-weight: 700; }
.tile-allocated { border-top-color: #94a3b8; }
.tile-ordered { border-top-color: var(--ordered); }
.tile-shipped { border-top-color: #fbbf24; }
.tile-inTransit { border-top-color: var(--transit); }
.tile-delivered { border-top-color: var(--delivered); }
.tile-installed { border-top-color: var(--installed); }
.sectors { display: grid; grid-template-columns: repeat(auto-fit, minmax(260px, 1fr)); gap: 12px 24px; margin-top: 18px; }
.sectors h3 { margin: 0 0 4px; display: flex; justify-content: space-between; gap: 8px; }
.sectors h3 .muted { font-weight: 400; font-size: .9rem; }
.sector-line { font-size: .92rem; margin: 4px 0 0; }

/* Recipients */
.table-scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 10px 8px; border-bottom: 1px solid var(--line); vertical-align: middle; }
th { font-size: .85rem; color: var(--muted); font-weight: 600; }
td.num, th.num { text-align: right; white-space: nowrap; }
.recipients-table .who a { font-weight: 700; }
.recipients-table .ko { display: block; color: var(--muted); font-size: .9rem; }
.recipients-table .bar-cell { width: 24%; min-width: 160px; }
.last-event { display: block; font-size: .8rem; color: var(--muted); }
.bar-caption { font-size: .8rem; color: var(--muted); margin-top: 3px; }
.sector-chip { display: inline-block; font-size: .8rem; padding: 1px 8px; border-radius: 999px; background: #eef2ff; color: #3730a3; white-space: nowrap; }
.sector-chip[data-sector="public"] { background: #ecfdf3; color: #14532d; }

/* Timeline */
.timeline { margin-top: 8px; min-height: 220px; }
.timeline svg { display: block; width: 100%; height: auto; overflow: visible; }
.timeline .axis text, .timeline .end-label { font-size: 12px; fill: var(--muted); }
.timeline .end-label, .timeline .axis-year { font-weight: 700; }
.timeline .grid line { stroke: #e5e9f0; }
.timeline .axis-line { stroke: #8492a6; }
.line-delivered { fill: none; stroke: var(--delivered); stroke-width: 2.5; }
.line-installed { fill: none; stroke: var(--installed); stroke-width: 2.5; }
.area-delivered { fill: #dbeafe; opacity: .7; }
.dot-delivered { fill: var(--delivered); }
.dot-installed { fill: var(--installed); }
.label-delivered { fill: #1d4ed8 !important; }
.label-installed { fill: var(--installed) !important; }
.marker-line { stroke: var(--focus); stroke-width: 2; stroke-dasharray: 4 4; }
.timeline .marker-label { font-size: 12px; font-weight: 700; fill: #9a3412; }
.timeline .marker-label, .timeline .end-label { paint-order: stroke; stroke: #fff; stroke-width: 4px; stroke-linejoin: round; }
details.data-table { margin-top: 8px; }
details.data-table summary { cursor: pointer; color: var(--accent); }
details.data-table table { max-width: 520px; margin-top: 6px; }

/* MoUs */
.mous { display: grid; grid-template-columns: repeat(auto-fill, minmax(320px, 1fr)); gap: 14px; list-style: none; margin: 0; padding: 0; }
.mou { border: 1px solid var(--line); border-radius: 10px; padding: 14px; display: flex; flex-direction: column; gap: 6px; }
.mou h3 { font-size: 1rem; }
.chips { display: flex; flex-wrap: wrap; gap: 6px; list-style: none; margin: 0; padding: 0; }
.chip { display: inline-block; font-size: .85rem; padding: 2px 10px; border-radius: 999px; background: #f1f5f9; color: #334155; border: 1px solid #cbd5e1; }
a.chip { background: #e0e7ff; color: #1e3a8a; border-color: #a5b4fc; text-decoration: none; font-weight: 600; }
a.chip:hover { text-decoration: underline; }
.topic { background: #fff; color: var(--muted); border-style: dashed; }
.chip-label { font-size: .8rem; color: var(--muted); margin: 4px 0 0; }

/* Recipient page */
.crumbs { font-size: .95rem; }
.recipient-head h1 { font-size: 1.8rem; margin: 0; }
.asof { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 12px; padding: 12px; background: #f8fafc; border: 1px solid var(--line); border-radius: 10px; margin: 6px 0 10px; }
.asof-title { font-weight: 600; width: 100%; margin: 0; }
.asof-note { font-size: .92rem; }
.asof-note:not(:empty) { background: #eef2ff; color: #312e81; padding: 8px 12px; border-radius: 8px; }
.status-past .stack { filter: saturate(.6); }
.programs { font-size: .92rem; margin-top: 10px; }
.history-table td { font-size: .92rem; }
.history-table tr.is-retracted td { color: #6b7280; text-decoration: line-through; }
.pager { display: flex; align-items: center; justify-content: space-between; gap: 10px; margin-top: 10px; }

.foot { border-top: 1px solid var(--line); padding: 16px 0 28px; font-size: .9rem; color: var(--muted); background: #fff; }
.foot-illustrative { color: var(--warn-ink); }

@media (max-width: 900px) {
  .tiles { grid-template-columns: repeat(3, minmax(0, 1fr)); }
}
@media (max-width: 640px) {
  .card { padding: 14px; }
  .headline-main { font-size: 1.5rem; }
  .tile dd { font-size: 1.2rem; }
  .mous { grid-template-columns: 1fr; }
  /* Each recipient row becomes a card; the header labels move next to the values. */
  .recipients-table thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  .recipients-table, .recipients-table tbody { display: block; width: 100%; }
  .recipients-table tr { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); column-gap: 18px; border: 1px solid var(--line); border-radius: 10px; padding: 10px 12px; margin-bottom: 10px; }
  .recipients-table th, .recipients-table td { display: block; border: 0; padding: 2px 0; min-width: 0; }
  .recipients-table .who, .recipients-table .bar-cell, .recipients-table td[data-field="updatedAt"] { grid-column: 1 / -1; }
  .recipients-table .who { padding-bottom: 4px; }
  .recipients-table td.sector-cell { grid-column: 1 / -1; }
  .recipients-table td.num { display: flex; justify-content: space-between; align-items: baseline; text-align: right; }
  .recipients-table td[data-label]::before { content: attr(data-label); color: var(--muted); font-size: .85rem; text-align: left; padding-right: 8px; }
  .recipients-table .bar-cell { width: 100%; padding: 4px 0 6px; }
  .recipients-table td[data-field="updatedAt"] { margin-top: 4px; padding-top: 6px; border-top: 1px solid var(--line); }
  .recipients-table td.sector-cell[data-label]::before { display: none; }
  .history-table thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  .history-table, .history-table tbody, .history-table tr, .history-table td { display: block; width: 100%; }
  .history-table tr { border-bottom: 1px solid var(--line); padding: 8px 0; }
  .history-table td { border: 0; padding: 1px 0; }
}
`;
