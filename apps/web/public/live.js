// Pushed statuses for the gallery (gallery.js) and the image page (actions.js): the server-sent
// events of GET /api/images/events, with the settings layout.eta puts on <body>. A page polls
// /api/images/status (every data-status-poll-ms) whenever its stream is not live: streams off,
// refused (503: the server has its most open), dropped (EventSource reconnects by itself
// meanwhile), silent for twice the heartbeat, or closed by a server that is stopping.
(() => {
  const body = document.body;
  const pollMs = Number(body.dataset.statusPollMs) || 1000;
  const heartbeatMs = Number(body.dataset.statusHeartbeatMs) || 15000;
  const enabled = body.dataset.statusStream === 'on' && typeof EventSource === 'function';
  const idle = { live: () => false, close() {} };

  /**
   * Watches `ids` (at most 100): `onStatus(status)` gets each pushed status (an entry of
   * /api/images/status). The result's `live()` says whether the stream can be relied on right now.
   */
  function watch(ids, onStatus) {
    if (!enabled || ids.length === 0) return idle;
    const source = new EventSource(`/api/images/events?ids=${ids.join(',')}`);
    let heardAt = 0;
    let over = false;
    let finished = false;
    const heard = () => {
      heardAt = Date.now();
    };
    source.addEventListener('open', heard);
    source.addEventListener('heartbeat', heard);
    source.addEventListener('status', (event) => {
      heard();
      try {
        onStatus(JSON.parse(event.data));
      } catch {
        // A message the page cannot read: the poll covers it.
      }
    });
    // Nothing left pending: the server has said all it will, and ends the response.
    source.addEventListener('done', () => {
      finished = true;
      source.close();
    });
    source.addEventListener('closing', () => {
      over = true;
      source.close();
    });
    source.addEventListener('error', () => {
      // The server's end after `done` is no failure: never reconnect for it.
      if (finished) {
        source.close();
        return;
      }
      heardAt = 0;
      if (source.readyState === EventSource.CLOSED) over = true;
    });
    return {
      live: () => !over && source.readyState === EventSource.OPEN && Date.now() - heardAt < 2 * heartbeatMs,
      close: () => source.close(),
    };
  }

  window.annotLive = { pollMs, watch };
})();
