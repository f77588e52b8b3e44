/**
 * Browser code that starts the page: picks the language (saved choice, else the browser's),
 * wires the language switch, builds the view named by `<body data-view>` and starts live updates.
 */
export const MAIN_JS = String.raw`
function applyLanguage() {
  document.documentElement.lang = state.lang;
  document.querySelectorAll('[data-i18n]').forEach(function (el) { el.textContent = t(el.getAttribute('data-i18n')); });
  document.querySelectorAll('[data-i18n-aria]').forEach(function (el) { el.setAttribute('aria-label', t(el.getAttribute('data-i18n-aria'))); });
  document.querySelectorAll('[data-lang]').forEach(function (button) {
    button.setAttribute('aria-pressed', String(button.getAttribute('data-lang') === state.lang));
  });
  var description = document.querySelector('meta[name="description"]');
  if (description) description.setAttribute('content', t('tagline'));
  if (document.body.getAttribute('data-view') === 'overview') document.title = t('appTitle');
  renderLiveStatus();
  if (state.view) state.view.render();
}

function setLanguage(lang) {
  if (lang !== 'en' && lang !== 'ko') return;
  state.lang = lang;
  try { window.localStorage.setItem(LANG_KEY, lang); } catch (e) { /* not saved; still switched */ }
  applyLanguage();
}

function boot() {
  state.lang = detectLanguage();
  document.querySelectorAll('[data-lang]').forEach(function (button) {
    button.addEventListener('click', function () { setLanguage(button.getAttribute('data-lang')); });
  });
  var recipientId = document.body.getAttribute('data-recipient-id');
  state.view = document.body.getAttribute('data-view') === 'recipient' ? recipientView(recipientId) : overviewView();
  applyLanguage();
  startLive(state.view.refresh, state.view.onError);
  setInterval(refreshRelativeTimes, 30000);
}

boot();
`;
