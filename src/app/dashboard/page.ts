/**
 * The dashboard's HTML: a static shell with landmarks, headings and labelled controls, in English
 * until the client script applies the reader's language and fills in the data. No inline script or
 * style, so the page works under a strict Content-Security-Policy.
 */
import { type LabelKey, LABELS } from './labels.ts';

export type View = { kind: 'overview' } | { kind: 'recipient'; recipientId: string };

const en = LABELS.en;

/** Text with the attribute that lets the client translate it. */
function label(key: LabelKey, tag = 'span', attrs = ''): string {
  return `<${tag}${attrs} data-i18n="${key}">${escapeHtml(en[key])}</${tag}>`;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function dashboardHtml(view: View, assetUrl: (name: string) => string): string {
  const isOverview = view.kind === 'overview';
  const bodyData = isOverview
    ? 'data-view="overview"'
    : `data-view="recipient" data-recipient-id="${escapeHtml(view.recipientId)}"`;
  const brand = `<a class="brand-link" href="/">${label('appTitle')}</a>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(isOverview ? en.appTitle : `${view.recipientId} · ${en.appTitle}`)}</title>
<meta name="description" content="${escapeHtml(en.tagline)}">
<link rel="icon" href="${assetUrl('favicon.svg')}" type="image/svg+xml">
<link rel="stylesheet" href="${assetUrl('dashboard.css')}">
<script src="${assetUrl('dashboard.js')}" defer></script>
</head>
<body ${bodyData}>
<a class="skip-link" href="#main">${label('skipToContent')}</a>
<header class="top">
  <div class="wrap top-inner">
    <div class="brand">
      ${isOverview ? `<h1 class="brand-title">${brand}</h1>` : `<p class="brand-title">${brand}</p>`}
      ${label('tagline', 'p', ' class="tagline"')}
    </div>
    <div class="top-controls">
      <p id="live" class="live" role="status" aria-live="polite" data-state="connecting" title="${escapeHtml(en.liveTitle)}">
        <span class="live-dot" aria-hidden="true"></span><span id="live-text">${escapeHtml(en.connecting)}</span>
      </p>
      <div class="lang-switch" role="group" aria-label="${escapeHtml(en.language)}" data-i18n-aria="language">
        <button type="button" data-lang="en" lang="en" aria-pressed="true">English</button>
        <button type="button" data-lang="ko" lang="ko" aria-pressed="false">한국어</button>
      </div>
    </div>
  </div>
</header>
<div id="demo-banner" class="demo-banner" hidden><p class="wrap">${label('demoBanner')}</p></div>
<main id="main" class="wrap" tabindex="-1">
${isOverview ? overviewMain() : recipientMain()}
</main>
<footer class="foot">
  <div class="wrap">
    <p>${label('footerFacts')}</p>
    <p class="foot-illustrative">${label('footerIllustrative')}</p>
    <p>${label('footerApi')} <a href="/docs">${label('apiDocs')}</a> · <a href="/openapi.json">${label('openapi')}</a> · <a href="/v1/summary">/v1/summary</a></p>
  </div>
</footer>
<noscript><p class="wrap">This dashboard needs JavaScript. The data is also at <a href="/v1/summary">/v1/summary</a>.</p></noscript>
</body>
</html>
`;
}

function overviewMain(): string {
  return `<section class="card" aria-labelledby="h-national">
  ${label('nationalTotals', 'h2', ' id="h-national"')}
  <div id="national" aria-busy="true">${label('loading', 'p', ' class="muted"')}</div>
</section>
<section class="card" aria-labelledby="h-recipients">
  ${label('recipients', 'h2', ' id="h-recipients"')}
  <div id="recipients" aria-busy="true">${label('loading', 'p', ' class="muted"')}</div>
</section>
<section class="card" aria-labelledby="h-timeline">
  <div class="section-head">
    ${label('timeline', 'h2', ' id="h-timeline"')}
    <p class="field"><label for="timeline-series" data-i18n="timelineShow">${escapeHtml(en.timelineShow)}</label>
    <select id="timeline-series"><option value="" data-i18n="allRecipients">${escapeHtml(en.allRecipients)}</option></select></p>
  </div>
  ${label('timelineDesc', 'p', ' class="muted"')}
  <div id="timeline" class="timeline"></div>
</section>
<section class="card" aria-labelledby="h-mous">
  ${label('mous', 'h2', ' id="h-mous"')}
  <div id="mous" aria-busy="true">${label('loading', 'p', ' class="muted"')}</div>
</section>`;
}

function recipientMain(): string {
  return `<nav class="crumbs" aria-label="Breadcrumb"><a href="/">← ${label('backToAll')}</a></nav>
<div class="recipient-head">
  <h1 id="recipient-name"></h1>
  <p id="recipient-sub" class="muted"></p>
</div>
<p id="recipient-missing" class="notice" hidden>${label('notFound')}</p>
<section class="card" aria-labelledby="h-status">
  ${label('status', 'h2', ' id="h-status"')}
  <form id="asof-form" class="asof" novalidate>
    ${label('asOfTitle', 'p', ' class="asof-title"')}
    <p class="field"><label for="asof" data-i18n="asOfLabel">${escapeHtml(en.asOfLabel)}</label>
    <input type="date" id="asof" name="asof" min="2025-10-31"></p>
    <button type="submit" class="btn">${label('asOfApply')}</button>
    <button type="button" id="asof-reset" class="btn btn-quiet" hidden>${label('asOfReset')}</button>
  </form>
  <p id="asof-note" class="asof-note" role="status" aria-live="polite"></p>
  <div id="recipient-status" aria-busy="true">${label('loading', 'p', ' class="muted"')}</div>
</section>
<section class="card" aria-labelledby="h-timeline">
  ${label('timeline', 'h2', ' id="h-timeline"')}
  ${label('timelineDesc', 'p', ' class="muted"')}
  <div id="timeline" class="timeline"></div>
</section>
<section class="card" aria-labelledby="h-history">
  ${label('history', 'h2', ' id="h-history"')}
  <div id="history" aria-busy="true">${label('loading', 'p', ' class="muted"')}</div>
  <nav class="pager" aria-label="${escapeHtml(en.history)}" data-i18n-aria="history">
    <button type="button" id="history-prev" class="btn" disabled>← ${label('previous')}</button>
    <span id="history-range" class="muted"></span>
    <button type="button" id="history-next" class="btn" disabled>${label('next')} →</button>
  </nav>
</section>
<section class="card" aria-labelledby="h-mous">
  ${label('mousOf', 'h2', ' id="h-mous"')}
  <div id="mous"></div>
</section>`;
}
