/**
 * Browser code for a recipient's page: its status (live, or as of a chosen date through the API's
 * `asOf`), its timeline, its event history page by page with the history cursor, and its MoUs.
 */
export const RECIPIENT_JS = String.raw`
var HISTORY_PAGE = 10;

function recipientView(id) {
  var data = {
    status: null, missing: false, events: [], mous: [], recipients: [],
    cursors: [null], index: 0, page: null, asOf: null, past: null,
  };

  async function refresh() {
    var status;
    try {
      status = await getJson(recipientPath(id));
    } catch (error) {
      if (error.status !== 404) throw error;
      data.missing = true;
      render();
      return;
    }
    var sameSequence = data.status && data.status.sequence === status.sequence;
    var results = await Promise.all([
      sameSequence ? data.events : allEvents(id),
      getJson('/v1/mous?party=' + encodeURIComponent(id)),
      getJson('/v1/recipients'),
      fetchPage(data.index),
    ]);
    data.missing = false;
    data.status = status;
    data.events = results[0];
    data.mous = results[1].items;
    data.recipients = results[2].items;
    data.page = results[3];
    noteIllustrative(data.events);
    render();
  }

  function fetchPage(index) {
    var after = data.cursors[index];
    return getJson(recipientPath(id) + '/events?limit=' + HISTORY_PAGE + (after ? '&after=' + encodeURIComponent(after) : ''));
  }

  async function goToPage(index) {
    var page = await fetchPage(index);
    data.index = index;
    data.page = page;
    data.cursors[index + 1] = page.next;
    renderHistory();
  }

  function render() {
    $('#recipient-missing').hidden = !data.missing;
    if (data.missing) {
      $('#recipient-name').textContent = id;
      ['#recipient-status', '#history'].forEach(function (sel) { setChildren($(sel)); $(sel).removeAttribute('aria-busy'); });
      return;
    }
    if (!data.status) return;
    var s = data.status;
    $('#recipient-name').textContent = recipientName(s);
    setChildren($('#recipient-sub'),
      otherName(s) ? h('span', { lang: state.lang === 'ko' ? 'en' : 'ko' }, otherName(s) + ' · ') : null,
      sectorChip(s.sector), ' · ' + id);
    document.title = recipientName(s) + ' · ' + t('appTitle');
    renderStatus();
    renderHistory();
    renderTimeline($('#timeline'), deliverySeries(data.events), {
      name: recipientName(s),
      marker: data.asOf ? Date.parse(data.asOf + 'T23:59:59+09:00') : null,
    });
    setChildren($('#mous'), mouList(data.mous, data.recipients));
  }

  function renderStatus() {
    var s = data.past || data.status;
    var box = $('#recipient-status');
    box.removeAttribute('aria-busy');
    box.className = data.past ? 'status-past' : '';
    var programs = Object.keys(s.programs || {}).sort();
    setChildren(box,
      headline(s),
      stackedBar(s, { label: t('progressName') + ' · ' + recipientName(data.status) }),
      barLegend(s),
      counterTiles(s),
      programs.length ? h('p', { class: 'programs' }, t('programs') + ': ', programs.map(function (p, i) {
        return [i ? ', ' : '', h('strong', null, p), ' ' + t('gpus', { n: fmtNumber(s.programs[p]) })];
      })) : null,
      h('p', { class: 'muted' }, joinWithDots([
        s.lastEventTime ? t('lastEvent', { date: fmtDateTime(Date.parse(s.lastEventTime)) }) : null,
        !data.past && s.updatedAt ? tNodes('dataUpdated', { time: timeAgo(s.updatedAt) }) : null,
      ])));
    $('#asof-note').textContent = data.asOf ? t('asOfShowing', { date: fmtDate(calendarDateMs(data.asOf)) }) : '';
    $('#asof-reset').hidden = !data.asOf;
  }

  function eventDetails(e, d) {
    switch (e.type) {
      case 'recipient.registered': return [d.name, d.nameKo, d.sector ? t('sector:' + d.sector) : null].filter(Boolean).join(' · ');
      case 'allocation.announced': return t('program', { id: d.programId }) + ' · ' + t('gpus', { n: fmtNumber(d.gpus) });
      case 'procurement.ordered': return [t('order', { id: d.orderId }), t('gpus', { n: fmtNumber(d.quantity) }), d.gpuModel, d.vendor].filter(Boolean).join(' · ');
      case 'delivery.shipped':
      case 'delivery.received':
      case 'delivery.installed': return [t('shipment', { id: d.shipmentId }), t('gpus', { n: fmtNumber(d.quantity) }), d.gpuModel, d.site].filter(Boolean).join(' · ');
      case 'event.retracted': return t('retracts', { id: d.eventId, reason: d.reason });
      case 'mou.signed': return d.title;
      default: return '';
    }
  }

  function renderHistory() {
    var box = $('#history');
    box.removeAttribute('aria-busy');
    var page = data.page;
    if (!page) return;
    var retracted = retractedKeys(data.events);
    if (page.items.length === 0) {
      setChildren(box, h('p', { class: 'muted' }, t('noEvents')));
    } else {
      setChildren(box, h('div', { class: 'table-scroll' }, h('table', { class: 'history-table' },
        h('thead', null, h('tr', null,
          h('th', { scope: 'col', class: 'num' }, t('colSequence')), h('th', { scope: 'col' }, t('colTime')),
          h('th', { scope: 'col' }, t('colEvent')), h('th', { scope: 'col' }, t('colDetails')), h('th', { scope: 'col' }, t('colSource')))),
        h('tbody', null, page.items.map(function (e) {
          var isRetracted = retracted.has(e.source + '\n' + e.id);
          return h('tr', { 'data-sequence': e.sequence, class: isRetracted ? 'is-retracted' : null },
            h('td', { class: 'num' }, e.sequence),
            h('td', null, h('time', { datetime: e.time }, fmtDateTime(Date.parse(e.time)))),
            h('td', null, h('strong', null, t('ev:' + e.type)),
              isIllustrative(e) ? h('span', { class: 'badge-illustrative' }, t('illustrative')) : null,
              isRetracted ? h('span', { class: 'badge-illustrative' }, t('retracted')) : null),
            h('td', null, eventDetails(e, e.data || {})),
            h('td', null, e.source));
        })))));
    }
    var first = page.items[0];
    var last = page.items[page.items.length - 1];
    $('#history-range').textContent = first ? t('historyPage', { from: fmtNumber(first.sequence), to: fmtNumber(last.sequence) }) : '';
    $('#history-prev').disabled = data.index === 0;
    $('#history-next').disabled = !page.next;
    data.cursors[data.index + 1] = page.next;
  }

  async function showAsOf(day) {
    try {
      var past;
      try {
        past = await getJson(recipientPath(id) + '?asOf=' + encodeURIComponent(day + 'T23:59:59+09:00'));
      } catch (error) {
        if (error.status !== 404) throw error;
        past = Object.assign({}, data.status, { allocated: 0, ordered: 0, shipped: 0, inTransit: 0, delivered: 0, installed: 0, remaining: 0, programs: {}, lastEventTime: null });
      }
      data.asOf = day;
      data.past = past;
      window.history.replaceState(null, '', window.location.pathname + '?asOf=' + day);
      render();
    } catch (error) {
      $('#asof-note').textContent = t('loadError');
    }
  }

  function resetAsOf() {
    data.asOf = null;
    data.past = null;
    $('#asof').value = '';
    window.history.replaceState(null, '', window.location.pathname);
    render();
    $('#asof').focus();
  }

  $('#asof').max = new Date(Date.now() + KST_OFFSET_MS).toISOString().slice(0, 10);
  $('#asof-form').addEventListener('submit', function (event) {
    event.preventDefault();
    var day = $('#asof').value;
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) { $('#asof-note').textContent = t('asOfInvalid'); return; }
    showAsOf(day);
  });
  $('#asof-reset').addEventListener('click', resetAsOf);
  $('#history-prev').addEventListener('click', function () { if (data.index > 0) goToPage(data.index - 1); });
  $('#history-next').addEventListener('click', function () { if (data.page && data.page.next) goToPage(data.index + 1); });

  var initial = /^\?asOf=(\d{4}-\d{2}-\d{2})$/.exec(window.location.search);

  return {
    refresh: async function (summary) {
      await refresh(summary);
      if (initial && data.status) { $('#asof').value = initial[1]; var day = initial[1]; initial = null; await showAsOf(day); }
    },
    render: render,
    onError: function () {
      if (!data.status) setChildren($('#recipient-status'), h('p', { class: 'notice' }, t('loadError')));
    },
  };
}
`;
