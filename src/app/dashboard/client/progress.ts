/**
 * Browser code drawing status counters: the stacked progress bar (installed, delivered, in
 * transit, ordered, not yet ordered, out of the allocation), its legend, the headline sentence
 * and the six number tiles. Each bar is a `progressbar` whose value is the delivered count.
 */
export const PROGRESS_JS = String.raw`
var COUNTERS = ['allocated', 'ordered', 'shipped', 'inTransit', 'delivered', 'installed'];

/** The bar's segments: disjoint stages that add up to the allocation (or more, if over-delivered). */
function segmentsOf(c) {
  var shipped = c.delivered + c.inTransit;
  var orderedOnly = Math.max(c.ordered - shipped, 0);
  var total = Math.max(c.allocated, shipped + orderedOnly);
  return {
    total: total,
    parts: [
      { key: 'installed', label: 'segInstalled', value: c.installed },
      { key: 'delivered', label: 'segDelivered', value: Math.max(c.delivered - c.installed, 0) },
      { key: 'transit', label: 'segInTransit', value: Math.max(c.inTransit, 0) },
      { key: 'ordered', label: 'segOrdered', value: orderedOnly },
      { key: 'notordered', label: 'segNotOrdered', value: Math.max(total - shipped - orderedOnly, 0) },
    ],
  };
}

function stackedBar(c, options) {
  var opts = options || {};
  var s = segmentsOf(c);
  var bar = h('div', {
    class: 'stack' + (opts.small ? ' small' : ''),
    role: 'progressbar',
    'aria-label': opts.label || t('progressName'),
    'aria-valuemin': 0,
    'aria-valuemax': Math.max(c.allocated, c.delivered),
    'aria-valuenow': c.delivered,
    'aria-valuetext': t('progressText', {
      delivered: fmtNumber(c.delivered), allocated: fmtNumber(c.allocated),
      pct: fmtPercent(c.delivered, c.allocated), installed: fmtNumber(c.installed),
    }),
  });
  s.parts.forEach(function (part) {
    if (part.value <= 0 || s.total <= 0) return;
    var seg = h('div', { class: 'seg seg-' + part.key, title: t(part.label) + ': ' + fmtNumber(part.value) });
    seg.style.width = (100 * part.value / s.total) + '%';
    bar.appendChild(seg);
  });
  return bar;
}

function barLegend(c) {
  return h('ul', { class: 'legend' }, segmentsOf(c).parts.map(function (part) {
    return h('li', null,
      h('span', { class: 'swatch seg-' + part.key, 'aria-hidden': 'true' }),
      h('span', null, t(part.label) + ' '),
      h('strong', { class: 'num' }, fmtNumber(part.value)));
  }));
}

function headline(c) {
  return h('div', { class: 'headline' },
    h('p', { class: 'headline-main' }, tNodes('headline', {
      delivered: h('span', { class: 'big num' }, fmtNumber(c.delivered)),
      allocated: h('span', { class: 'num' }, fmtNumber(c.allocated)),
    })),
    h('p', { class: 'headline-detail' }, t('headlineDetail', {
      pct: fmtPercent(c.delivered, c.allocated), installed: fmtNumber(c.installed), inTransit: fmtNumber(c.inTransit),
    })));
}

/** The six counters; each value carries data-field so tests and readers can find it. */
function counterTiles(c) {
  return h('dl', { class: 'tiles' }, COUNTERS.map(function (name) {
    return h('div', { class: 'tile tile-' + name },
      h('dt', null, t(name)),
      h('dd', { class: 'num', 'data-field': name }, fmtNumber(c[name])));
  }));
}
`;
