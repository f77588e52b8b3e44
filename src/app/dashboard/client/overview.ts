/**
 * Browser code for the main view: national totals with the sector split, one row per recipient,
 * the national or per-recipient timeline, and the MoU registry. It refetches only when the
 * summary changed, and a recipient's history only when its `sequence` moved.
 */
export const OVERVIEW_JS = String.raw`
function overviewView() {
  var data = { summary: null, recipients: [], mous: [], histories: {}, sequences: {} };

  async function refresh(summary) {
    var results = await Promise.all([getJson('/v1/recipients'), getJson('/v1/mous')]);
    var recipients = results[0].items;
    await Promise.all(recipients.map(async function (r) {
      if (data.sequences[r.recipientId] === r.sequence && data.histories[r.recipientId]) return;
      data.histories[r.recipientId] = await allEvents(r.recipientId);
      data.sequences[r.recipientId] = r.sequence;
    }));
    Object.keys(data.histories).forEach(function (id) { noteIllustrative(data.histories[id]); });
    data.summary = summary;
    data.recipients = recipients;
    data.mous = results[1].items;
    render();
  }

  function render() {
    if (!data.summary) return;
    renderNational();
    renderRecipients();
    renderSeriesOptions();
    renderOverviewTimeline();
    renderMous();
  }

  function renderNational() {
    var s = data.summary;
    var box = $('#national');
    box.removeAttribute('aria-busy');
    var sectors = SECTOR_ORDER.filter(function (key) { return s.bySector && s.bySector[key]; });
    setChildren(box,
      headline(s),
      stackedBar(s, { label: t('progressName') + ' · ' + t('nationalTotals') }),
      barLegend(s),
      counterTiles(s),
      h('div', { class: 'sectors' }, sectors.map(function (key) {
        var c = s.bySector[key];
        return h('div', { class: 'sector', 'data-sector': key },
          h('h3', null, h('span', null, t('sector:' + key)), h('span', { class: 'muted' }, t(c.recipients === 1 ? 'recipientsCountOne' : 'recipientsCount', { n: fmtNumber(c.recipients) }))),
          stackedBar(c, { small: true, label: t('progressName') + ' · ' + t('sector:' + key) }),
          h('p', { class: 'sector-line' }, tNodes('sectorRow', {
            delivered: h('strong', { class: 'num', 'data-field': 'delivered' }, fmtNumber(c.delivered)),
            allocated: h('span', { class: 'num', 'data-field': 'allocated' }, fmtNumber(c.allocated)),
          }), ' · ' + t('installed') + ' ', h('span', { class: 'num', 'data-field': 'installed' }, fmtNumber(c.installed))));
      })),
      s.updatedAt ? h('p', { class: 'muted updated' }, tNodes('dataUpdated', { time: timeAgo(s.updatedAt) })) : null);
  }

  function renderRecipients() {
    var box = $('#recipients');
    box.removeAttribute('aria-busy');
    if (data.recipients.length === 0) { setChildren(box, h('p', { class: 'muted' }, t('noRecipients'))); return; }
    var numeric = ['allocated', 'ordered', 'inTransit', 'delivered', 'installed'];
    var head = h('tr', null,
      h('th', { scope: 'col' }, t('colRecipient')), h('th', { scope: 'col' }, t('colSector')),
      h('th', { scope: 'col' }, t('colProgress')),
      numeric.map(function (name) { return h('th', { scope: 'col', class: 'num' }, t(name)); }),
      h('th', { scope: 'col' }, t('colLastChanged')));
    var rows = data.recipients.map(function (r) {
      return h('tr', { 'data-recipient-id': r.recipientId },
        h('th', { scope: 'row', class: 'who' },
          h('a', { href: '/recipients/' + encodeURIComponent(r.recipientId), 'data-field': 'name' }, recipientName(r)),
          otherName(r) ? h('span', { class: 'ko', 'data-field': 'otherName', lang: state.lang === 'ko' ? 'en' : 'ko' }, otherName(r)) : null),
        h('td', { class: 'sector-cell', 'data-label': t('colSector') }, sectorChip(r.sector)),
        h('td', { class: 'bar-cell' },
          stackedBar(r, { small: true, label: t('progressName') + ' · ' + recipientName(r) }),
          h('p', { class: 'bar-caption' }, t('progressText', {
            delivered: fmtNumber(r.delivered), allocated: fmtNumber(r.allocated),
            pct: fmtPercent(r.delivered, r.allocated), installed: fmtNumber(r.installed),
          }))),
        numeric.map(function (name) {
          return h('td', { class: 'num', 'data-field': name, 'data-label': t(name) }, fmtNumber(r[name]));
        }),
        h('td', { 'data-label': t('colLastChanged'), 'data-field': 'updatedAt' },
          r.updatedAt ? timeAgo(r.updatedAt) : '—',
          r.lastEventTime ? h('span', { class: 'last-event' }, t('lastEvent', { date: fmtDate(Date.parse(r.lastEventTime)) })) : null));
    });
    setChildren(box, h('div', { class: 'table-scroll' },
      h('table', { class: 'recipients-table' }, h('thead', null, head), h('tbody', null, rows))));
  }

  function renderSeriesOptions() {
    var select = $('#timeline-series');
    var chosen = select.value;
    setChildren(select, h('option', { value: '' }, t('allRecipients')), data.recipients.map(function (r) {
      return h('option', { value: r.recipientId }, recipientName(r));
    }));
    select.value = data.recipients.some(function (r) { return r.recipientId === chosen; }) ? chosen : '';
  }

  function renderOverviewTimeline() {
    var id = $('#timeline-series').value;
    var series = id
      ? deliverySeries(data.histories[id] || [])
      : sumSeries(data.recipients.map(function (r) { return deliverySeries(data.histories[r.recipientId] || []); }));
    var chosen = data.recipients.find(function (r) { return r.recipientId === id; });
    renderTimeline($('#timeline'), series, { name: chosen ? recipientName(chosen) : t('allRecipients') });
  }

  function renderMous() {
    var box = $('#mous');
    box.removeAttribute('aria-busy');
    setChildren(box, mouList(data.mous, data.recipients));
  }

  $('#timeline-series').addEventListener('change', renderOverviewTimeline);

  return {
    refresh: refresh,
    render: render,
    title: function () { return t('appTitle'); },
    onError: function () {
      if (data.summary) return;
      ['#national', '#recipients', '#mous'].forEach(function (sel) {
        setChildren($(sel), h('p', { class: 'notice' }, t('loadError')));
      });
    },
  };
}

/** MoU cards; a party that is a tracked recipient links to its page. */
function mouList(mous, recipients) {
  if (mous.length === 0) return h('p', { class: 'muted' }, t('noMous'));
  var byId = {};
  recipients.forEach(function (r) { byId[r.recipientId] = r; });
  var sorted = mous.slice().sort(function (a, b) {
    return (Date.parse(a.signedAt) - Date.parse(b.signedAt)) || (a.title < b.title ? -1 : 1);
  });
  return h('ul', { class: 'mous' }, sorted.map(function (mou) {
    return h('li', { class: 'mou', 'data-mou-id': mou.mouId },
      h('h3', null, mou.title),
      mou.signedAt ? h('p', { class: 'muted' }, t('signed', { date: fmtDate(Date.parse(mou.signedAt)) })) : null,
      h('p', { class: 'chip-label' }, t('parties')),
      h('ul', { class: 'chips' }, mou.parties.map(function (party) {
        var r = byId[party];
        return h('li', null, r
          ? h('a', { class: 'chip', href: '/recipients/' + encodeURIComponent(party) }, recipientName(r))
          : h('span', { class: 'chip' }, party));
      })),
      mou.topics && mou.topics.length ? [
        h('p', { class: 'chip-label' }, t('topics')),
        h('ul', { class: 'chips' }, mou.topics.map(function (topic) { return h('li', null, h('span', { class: 'chip topic' }, topic)); })),
      ] : null,
      mou.documentUrl && /^https:\/\//.test(mou.documentUrl)
        ? h('p', null, h('a', { href: mou.documentUrl, rel: 'noopener noreferrer', target: '_blank' }, t('document') + ' ↗'))
        : null);
  }));
}
`;
