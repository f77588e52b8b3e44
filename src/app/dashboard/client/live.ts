/**
 * Browser code keeping the page live. It listens to `GET /v1/stream` (Server-Sent Events) and,
 * when the stream is missing or keeps failing, polls `GET /v1/summary` every 3 s with
 * `If-None-Match`. Either way a change is detected the same way, by the summary's ETag, and only
 * then does the view refetch. The indicator says whether the last connection or refresh worked.
 */
export const LIVE_JS = String.raw`
var POLL_MS = 3000;
var HIDDEN_POLL_MS = 30000;
var SAFETY_POLL_MS = 30000;
var STREAM_RETRY_POLLS = 100;
var live = {
  onChange: null, onError: null, etag: null, status: 'connecting', mode: 'none',
  stream: null, pollTimer: null, safetyTimer: null, burstTimers: [], polls: 0, inFlight: null, again: false,
};

function setLiveStatus(status) {
  if (live.status === status) return;
  live.status = status;
  renderLiveStatus();
}
function renderLiveStatus() {
  var el = $('#live');
  el.setAttribute('data-state', live.status);
  el.setAttribute('data-mode', live.mode);
  el.setAttribute('title', t('liveTitle'));
  var text = t(live.status === 'live' ? 'live' : live.status === 'offline' ? 'reconnecting' : 'connecting');
  var label = $('#live-text');
  if (label.textContent !== text) label.textContent = text;
}

/** Fetches the summary; on a new ETag hands it to the view, and keeps the tag only once the view has refreshed. */
async function checkSummary() {
  try {
    var res = await fetch('/v1/summary', { headers: live.etag ? { 'If-None-Match': live.etag } : {}, cache: 'no-store' });
    if (res.status === 304) { setLiveStatus('live'); return; }
    if (!res.ok) throw new ApiError(res.status);
    var etag = res.headers.get('ETag');
    await live.onChange(await res.json());
    live.etag = etag;
    setLiveStatus('live');
  } catch (error) {
    setLiveStatus('offline');
    if (live.onError) live.onError(error);
  }
}

/** One check at a time; a request during a check runs one more check after it. */
function requestCheck() {
  if (live.inFlight) { live.again = true; return live.inFlight; }
  live.inFlight = (async function () {
    do { live.again = false; await checkSummary(); } while (live.again);
  })().finally(function () { live.inFlight = null; });
  return live.inFlight;
}

/** A stream event arrives when an event is accepted; the projection follows shortly after. */
function checkSoon() {
  live.burstTimers.forEach(clearTimeout);
  live.burstTimers = [300, 1500, 4000, 10000].map(function (ms) { return setTimeout(requestCheck, ms); });
}

function connectStream() {
  if (typeof EventSource !== 'function') { startPolling(); return; }
  var opened = false;
  var failures = 0;
  var stream = new EventSource('/v1/stream');
  live.stream = stream;
  stream.onopen = function () {
    opened = true;
    failures = 0;
    stopPolling();
    live.mode = 'stream';
    renderLiveStatus();
    clearInterval(live.safetyTimer);
    live.safetyTimer = setInterval(requestCheck, SAFETY_POLL_MS);
    requestCheck();
  };
  stream.onmessage = checkSoon;
  EVENT_TYPES.forEach(function (type) { stream.addEventListener(type, checkSoon); });
  stream.onerror = function () {
    failures++;
    if (!opened || failures >= 3 || stream.readyState === EventSource.CLOSED) {
      stream.close();
      if (live.stream === stream) live.stream = null;
      clearInterval(live.safetyTimer);
      if (live.mode !== 'poll') startPolling();
    } else {
      // The browser reconnects by itself; a stream that is back within a moment never shows as down.
      setTimeout(function () { if (live.stream === stream && stream.readyState !== EventSource.OPEN) setLiveStatus('offline'); }, 2000);
    }
  };
}

function startPolling() {
  live.mode = 'poll';
  renderLiveStatus();
  live.polls = 0;
  pollTick();
}
function stopPolling() {
  clearTimeout(live.pollTimer);
  live.pollTimer = null;
}
function pollTick() {
  stopPolling();
  requestCheck().then(function () {
    if (live.mode !== 'poll') return;
    live.polls++;
    // Now and then, see whether the stream has become available.
    if (live.polls % STREAM_RETRY_POLLS === 0 && !live.stream) connectStream();
    if (live.mode === 'poll') live.pollTimer = setTimeout(pollTick, document.hidden ? HIDDEN_POLL_MS : POLL_MS);
  });
}

function startLive(onChange, onError) {
  live.onChange = onChange;
  live.onError = onError;
  renderLiveStatus();
  requestCheck();
  connectStream();
  document.addEventListener('visibilitychange', function () {
    if (!document.hidden && live.mode === 'poll') pollTick();
  });
  window.addEventListener('online', function () { requestCheck(); });
}
`;
