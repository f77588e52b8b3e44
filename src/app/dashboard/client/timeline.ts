/**
 * Browser code for the timeline: cumulative deliveries and installations folded from recipients'
 * event histories (CONTRACT §3: per shipment the latest received / installed quantity, retracted
 * events left out), drawn as a step chart in plain inline SVG with a data table beside it.
 */
export const TIMELINE_JS = String.raw`
/** "Latest" as in the status fold: greatest time, then recordedAt, then id. */
function compareLatest(a, b) {
  var dt = Date.parse(a.time) - Date.parse(b.time);
  if (dt !== 0) return dt;
  var dr = Date.parse(a.recordedAt) - Date.parse(b.recordedAt);
  if (dr !== 0) return dr;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function retractedKeys(events) {
  var keys = new Set();
  events.forEach(function (e) { if (e.type === 'event.retracted') keys.add(e.source + '\n' + e.data.eventId); });
  return keys;
}

/** [{ t, delivered, installed }] at each instant a delivery or installation happened. */
function deliverySeries(events) {
  var retracted = retractedKeys(events);
  var counted = events.filter(function (e) {
    return (e.type === 'delivery.received' || e.type === 'delivery.installed') && !retracted.has(e.source + '\n' + e.id);
  });
  var times = Array.from(new Set(counted.map(function (e) { return Date.parse(e.time); }))).sort(function (a, b) { return a - b; });
  return times.map(function (at) {
    var shipments = new Map();
    counted.forEach(function (e) {
      if (Date.parse(e.time) > at) return;
      var s = shipments.get(e.data.shipmentId) || { received: null, installed: null };
      var stage = e.type === 'delivery.received' ? 'received' : 'installed';
      if (!s[stage] || compareLatest(e, s[stage]) > 0) s[stage] = e;
      shipments.set(e.data.shipmentId, s);
    });
    var delivered = 0;
    var installed = 0;
    shipments.forEach(function (s) {
      var qR = s.received ? s.received.data.quantity : 0;
      var qI = s.installed ? s.installed.data.quantity : 0;
      delivered += Math.max(qR, qI);
      installed += qI;
    });
    return { t: at, delivered: delivered, installed: installed };
  });
}

function valueAt(series, at) {
  var value = { t: at, delivered: 0, installed: 0 };
  for (var i = 0; i < series.length && series[i].t <= at; i++) value = series[i];
  return value;
}

/** The national series: at every instant any recipient changed, the sum of each one's value then. */
function sumSeries(list) {
  var times = new Set();
  list.forEach(function (s) { s.forEach(function (p) { times.add(p.t); }); });
  return Array.from(times).sort(function (a, b) { return a - b; }).map(function (at) {
    var total = { t: at, delivered: 0, installed: 0 };
    list.forEach(function (s) {
      var v = valueAt(s, at);
      total.delivered += v.delivered;
      total.installed += v.installed;
    });
    return total;
  });
}

function niceStep(max, count) {
  var raw = max / count;
  var pow = Math.pow(10, Math.floor(Math.log10(raw)));
  var n = raw / pow;
  return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 2.5 ? 2.5 : n <= 5 ? 5 : 10) * pow;
}

/** Month starts (Korea time) between two instants. */
function monthTicks(start, end) {
  var d = new Date(start + KST_OFFSET_MS);
  var y = d.getUTCFullYear();
  var m = d.getUTCMonth() + 1;
  var ticks = [];
  for (;;) {
    var at = Date.UTC(y, m, 1) - KST_OFFSET_MS;
    if (at > end) return ticks;
    ticks.push(at);
    m++;
  }
}

var timelineState = { container: null, series: [], options: {}, width: 0, observer: null };

function renderTimeline(container, series, options) {
  timelineState.container = container;
  timelineState.series = series;
  timelineState.options = options || {};
  if (!timelineState.observer && typeof ResizeObserver === 'function') {
    timelineState.observer = new ResizeObserver(function () {
      if (Math.abs(container.clientWidth - timelineState.width) > 24) drawTimeline();
    });
    timelineState.observer.observe(container);
  }
  drawTimeline();
}

function drawTimeline() {
  var container = timelineState.container;
  var series = timelineState.series;
  var options = timelineState.options;
  setChildren(container);
  var last = series.length ? series[series.length - 1] : null;
  if (!last || last.delivered === 0) {
    container.appendChild(h('p', { class: 'muted', 'data-empty': 'true' }, t('timelineEmpty')));
    return;
  }
  var width = Math.max(container.clientWidth, 280);
  timelineState.width = width;
  var narrow = width < 560;
  var height = narrow ? 230 : 300;
  var m = { top: 18, right: narrow ? 58 : 84, bottom: 40, left: narrow ? 40 : 56 };
  var start = Math.min(POLICY_START, series[0].t, options.marker || Infinity);
  var end = Math.max(Date.now(), last.t, options.marker || 0);
  var step = niceStep(last.delivered, narrow ? 4 : 5);
  var maxY = Math.ceil(last.delivered / step) * step;
  var plotW = width - m.left - m.right;
  var plotH = height - m.top - m.bottom;
  function x(at) { return m.left + (at - start) / (end - start) * plotW; }
  function y(v) { return m.top + (1 - v / maxY) * plotH; }
  function stepPath(field) {
    var d = 'M' + x(start).toFixed(1) + ' ' + y(0).toFixed(1);
    series.forEach(function (p) { d += 'H' + x(p.t).toFixed(1) + 'V' + y(p[field]).toFixed(1); });
    return d + 'H' + x(end).toFixed(1);
  }

  var titleId = container.id + '-title';
  var descId = container.id + '-desc';
  var chart = svg('svg', {
    viewBox: '0 0 ' + width + ' ' + height, width: width, height: height, role: 'img',
    'aria-labelledby': titleId, 'aria-describedby': descId,
    'data-last-delivered': last.delivered, 'data-last-installed': last.installed,
  });
  chart.appendChild(svg('title', { id: titleId }, t('timeline') + (options.name ? ' · ' + options.name : '')));
  chart.appendChild(svg('desc', { id: descId }, fmtDate(last.t) + ': ' + t('delivered') + ' ' + fmtNumber(last.delivered) +
    ', ' + t('installed') + ' ' + fmtNumber(last.installed) + '.'));

  var grid = svg('g', { class: 'grid axis', 'aria-hidden': 'true' });
  for (var v = 0; v <= maxY + 1e-9; v += step) {
    grid.appendChild(svg('line', { x1: m.left, x2: width - m.right, y1: y(v), y2: y(v) }));
    grid.appendChild(svg('text', { x: m.left - 6, y: y(v) + 4, 'text-anchor': 'end' }, fmtCompact(v)));
  }
  var months = monthTicks(start, end);
  var every = Math.max(1, Math.ceil(months.length / Math.max(1, Math.floor(plotW / (narrow ? 58 : 72)))));
  // Month names on the axis, the year under the first month shown and under each January.
  var monthFormat = new Intl.DateTimeFormat(locale(), { month: 'short', timeZone: KST });
  var yearFormat = new Intl.DateTimeFormat(locale(), { year: 'numeric', timeZone: KST });
  var shownYear = null;
  months.forEach(function (at, i) {
    if (i % every !== 0) return;
    var year = yearFormat.format(new Date(at));
    grid.appendChild(svg('line', { class: 'axis-line', x1: x(at), x2: x(at), y1: y(0), y2: y(0) + 5 }));
    grid.appendChild(svg('text', { x: x(at), y: y(0) + 18, 'text-anchor': 'middle' }, monthFormat.format(new Date(at))));
    if (year !== shownYear) grid.appendChild(svg('text', { x: x(at), y: y(0) + 32, 'text-anchor': 'middle', class: 'axis-year' }, year));
    shownYear = year;
  });
  grid.appendChild(svg('line', { class: 'axis-line', x1: m.left, x2: width - m.right, y1: y(0), y2: y(0) }));
  chart.appendChild(grid);

  chart.appendChild(svg('path', { class: 'area-delivered', d: stepPath('delivered') + 'V' + y(0).toFixed(1) + 'Z', 'aria-hidden': 'true' }));
  chart.appendChild(svg('path', { class: 'line-delivered', d: stepPath('delivered'), 'aria-hidden': 'true' }));
  chart.appendChild(svg('path', { class: 'line-installed', d: stepPath('installed'), 'aria-hidden': 'true' }));
  series.forEach(function (p) {
    ['delivered', 'installed'].forEach(function (field) {
      chart.appendChild(svg('circle', { class: 'dot-' + field, cx: x(p.t), cy: y(p[field]), r: 3 },
        svg('title', null, fmtDate(p.t) + ' · ' + t(field) + ' ' + fmtNumber(p[field]))));
    });
  });

  if (options.marker) {
    var mx = x(options.marker);
    chart.appendChild(svg('line', { class: 'marker-line', x1: mx, x2: mx, y1: m.top, y2: y(0) }));
    var nearRight = mx > width - m.right - 90;
    chart.appendChild(svg('text', { x: nearRight ? mx - 4 : mx + 4, y: m.top + 10, class: 'marker-label', 'text-anchor': nearRight ? 'end' : 'start' }, fmtDate(options.marker)));
  }

  // Value labels at the right end; pushed apart when the two lines end close together.
  var yd = y(last.delivered);
  var yi = y(last.installed);
  if (Math.abs(yd - yi) < 16) { if (yd <= yi) yi = yd + 16; else yd = yi + 16; }
  chart.appendChild(svg('text', { class: 'end-label label-delivered', x: width - m.right + 6, y: yd + 4 }, fmtCompact(last.delivered)));
  chart.appendChild(svg('text', { class: 'end-label label-installed', x: width - m.right + 6, y: yi + 4 }, fmtCompact(last.installed)));

  container.appendChild(chart);
  container.appendChild(h('ul', { class: 'legend' },
    h('li', null, h('span', { class: 'swatch seg-delivered', 'aria-hidden': 'true' }), t('delivered') + ' ', h('strong', { class: 'num' }, fmtNumber(last.delivered))),
    h('li', null, h('span', { class: 'swatch seg-installed', 'aria-hidden': 'true' }), t('installed') + ' ', h('strong', { class: 'num' }, fmtNumber(last.installed)))));
  container.appendChild(h('details', { class: 'data-table' },
    h('summary', null, t('timelineTable')),
    h('div', { class: 'table-scroll' }, h('table', null,
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, t('colDate')),
        h('th', { scope: 'col', class: 'num' }, t('delivered')), h('th', { scope: 'col', class: 'num' }, t('installed')))),
      h('tbody', null, series.map(function (p) {
        return h('tr', null, h('td', null, fmtDate(p.t)),
          h('td', { class: 'num' }, fmtNumber(p.delivered)), h('td', { class: 'num' }, fmtNumber(p.installed)));
      }))))));
}
`;
