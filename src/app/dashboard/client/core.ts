/**
 * Browser code shared by both views: language and number formatting, building DOM nodes (never
 * from HTML strings, so names and titles from events cannot inject markup) and reading the API.
 * Plain JavaScript in a string, served from /assets; it avoids template literals so it can live in
 * `String.raw`.
 */
export const CORE_JS = String.raw`
var LANG_KEY = 'gpu-tracker.lang';
var KST = 'Asia/Seoul';
var KST_OFFSET_MS = 9 * 3600 * 1000;
var POLICY_START = Date.parse('2025-10-31T00:00:00+09:00');
var EVENT_TYPES = ['recipient.registered', 'allocation.announced', 'procurement.ordered', 'delivery.shipped',
  'delivery.received', 'delivery.installed', 'mou.signed', 'event.retracted'];
var SECTOR_ORDER = ['public', 'private', 'research', 'academic', 'unregistered'];
var state = { lang: 'en', illustrative: false, view: null };

function $(selector) { return document.querySelector(selector); }

function detectLanguage() {
  try {
    var saved = window.localStorage.getItem(LANG_KEY);
    if (saved === 'en' || saved === 'ko') return saved;
  } catch (e) { /* storage may be disabled */ }
  return String(navigator.language || '').toLowerCase().indexOf('ko') === 0 ? 'ko' : 'en';
}

function t(key, params) {
  var text = LABELS[state.lang][key];
  if (text === undefined) text = LABELS.en[key] === undefined ? key : LABELS.en[key];
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, function (whole, name) { return name in params ? String(params[name]) : whole; });
}

/** The label as nodes, so values (numbers in bold, links) can be elements. */
function tNodes(key, params) {
  var parts = t(key).split(/(\{\w+\})/);
  return parts.filter(function (p) { return p !== ''; }).map(function (part) {
    var m = /^\{(\w+)\}$/.exec(part);
    if (!m || !(m[1] in params)) return document.createTextNode(part);
    var value = params[m[1]];
    return value instanceof Node ? value : document.createTextNode(String(value));
  });
}

function locale() { return state.lang === 'ko' ? 'ko-KR' : 'en-US'; }
function fmtNumber(n) { return new Intl.NumberFormat(locale()).format(n); }
function fmtCompact(n) { return new Intl.NumberFormat(locale(), { notation: 'compact', maximumFractionDigits: 1 }).format(n); }
function fmtPercent(part, whole) {
  return new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 1 }).format(whole > 0 ? part / whole : 0);
}
function fmtDate(ms) { return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeZone: KST }).format(new Date(ms)); }
function fmtDateTime(ms) {
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'short', timeZone: KST }).format(new Date(ms));
}
function fmtRelative(ms) {
  var seconds = (ms - Date.now()) / 1000;
  var abs = Math.abs(seconds);
  var rtf = new Intl.RelativeTimeFormat(locale(), { numeric: 'auto' });
  if (abs < 45) return rtf.format(0, 'second');
  if (abs < 45 * 60) return rtf.format(Math.round(seconds / 60), 'minute');
  if (abs < 22 * 3600) return rtf.format(Math.round(seconds / 3600), 'hour');
  if (abs < 26 * 86400) return rtf.format(Math.round(seconds / 86400), 'day');
  return fmtDate(ms);
}
/** A 'YYYY-MM-DD' calendar date in Korea, as the instant of its noon (for formatting only). */
function calendarDateMs(day) { return Date.parse(day + 'T12:00:00+09:00'); }

function append(parent, child) {
  if (child === null || child === undefined || child === false) return;
  if (Array.isArray(child)) { child.forEach(function (c) { append(parent, c); }); return; }
  parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
}

/** Replaces an element's children; like h(), takes nodes, strings and nested arrays. */
function setChildren(el) {
  el.replaceChildren();
  for (var i = 1; i < arguments.length; i++) append(el, arguments[i]);
}

/** h('a', { href: '/', class: 'x' }, 'text', childNode, [more]) */
function h(tag, attrs) {
  var el = document.createElement(tag);
  setAttrs(el, attrs);
  for (var i = 2; i < arguments.length; i++) append(el, arguments[i]);
  return el;
}
function setAttrs(el, attrs) {
  if (!attrs) return;
  Object.keys(attrs).forEach(function (name) {
    var value = attrs[name];
    if (value === null || value === undefined || value === false) return;
    if (name === 'class') el.setAttribute('class', value);
    else if (name.indexOf('on') === 0) el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? '' : String(value));
  });
}
var SVG_NS = 'http://www.w3.org/2000/svg';
function svg(tag, attrs) {
  var el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  for (var i = 2; i < arguments.length; i++) append(el, arguments[i]);
  return el;
}

/** The present parts, separated by ' · '. */
function joinWithDots(parts) {
  return parts.filter(Boolean).map(function (part, i) { return i ? [' · ', part] : part; });
}

/** A relative time that the page keeps fresh, with the exact time as a tooltip. */
function timeAgo(iso) {
  var ms = Date.parse(iso);
  return h('time', { datetime: iso, 'data-relative': String(ms), title: fmtDateTime(ms) }, fmtRelative(ms));
}
function refreshRelativeTimes() {
  document.querySelectorAll('time[data-relative]').forEach(function (el) {
    el.textContent = fmtRelative(Number(el.getAttribute('data-relative')));
  });
}

function recipientName(r) {
  if (!r) return '';
  if (state.lang === 'ko' && r.nameKo) return r.nameKo;
  return r.name || r.recipientId;
}
function otherName(r) {
  if (!r || !r.name || !r.nameKo) return '';
  return state.lang === 'ko' ? r.name : r.nameKo;
}
function sectorChip(sector) {
  var key = sector || 'unregistered';
  return h('span', { class: 'sector-chip', 'data-sector': key }, t('sector:' + key));
}
function isIllustrative(event) { return event.illustrative === true || event.illustrative === 'true'; }

function ApiError(status) { this.status = status; this.message = 'HTTP ' + status; }
async function getJson(path) {
  var res = await fetch(path, { headers: { accept: 'application/json' }, cache: 'no-store' });
  if (!res.ok) throw new ApiError(res.status);
  return res.json();
}
function recipientPath(id) { return '/v1/recipients/' + encodeURIComponent(id); }
/** Every event of a recipient, walking the history cursor until 'next' is null. */
async function allEvents(id) {
  var items = [];
  var after = null;
  do {
    var page = await getJson(recipientPath(id) + '/events?limit=100' + (after ? '&after=' + encodeURIComponent(after) : ''));
    items = items.concat(page.items);
    after = page.next;
  } while (after);
  return items;
}
function noteIllustrative(events) {
  if (!state.illustrative && events.some(isIllustrative)) {
    state.illustrative = true;
    $('#demo-banner').hidden = false;
  }
}
`;
