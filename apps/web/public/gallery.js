// The gallery: cards still pending are updated in place (statuses, thumbnail, description with its
// machine-made tags and text, failure reasons) until both stages are completed or failed, from the
// statuses the server pushes (live.js: GET /api/images/events), or, while that stream is not live,
// by polling /api/images/status every STATUS_POLL_MS.
// On the first page, new uploads from anywhere appear at the top: the page polls its own cards
// fragment (/gallery/cards with the page's q and status, the server's one card partial) and puts
// in front the cards it does not have yet. Both are told to screen readers through the page's
// polite live region (#live).
(() => {
  document.documentElement.classList.add('js');

  const pushed = window.annotLive ?? { pollMs: 1000, watch: () => ({ live: () => false, close() {} }) };
  const POLL_MS = pushed.pollMs;
  const SLOW_POLL_MS = Math.max(5000, POLL_MS);
  const SLOW_AFTER_MS = 2 * 60 * 1000;
  const MAX_IDS = 100;
  const ARRIVALS_MS = 5000;
  const startedAt = Date.now();
  const grid = document.getElementById('gallery');
  const live = document.getElementById('live');
  let timer;
  let stream = { live: () => false, close() {} };
  let watched = [];

  /** Says `text` to screen readers, politely (after what they are reading). */
  function announce(text) {
    if (!live) return;
    // A new node each time, so the same words twice are read twice.
    live.replaceChildren(element('p', '', text));
  }

  function nameOf(card) {
    return card.querySelector('.filename')?.textContent?.trim() || 'An image';
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function placeholder(state, text) {
    const span = element('span', 'placeholder', text);
    span.dataset.state = state;
    return span;
  }

  /** A thumbnail that fails to load becomes a placeholder, never a broken image. */
  function guard(img) {
    const replace = () => img.replaceWith(placeholder('broken', 'Thumbnail unavailable'));
    if (img.complete && img.naturalWidth === 0) replace();
    else img.addEventListener('error', replace, { once: true });
  }

  function localizeTimes(root) {
    for (const time of root.querySelectorAll('time[datetime]')) {
      const date = new Date(time.getAttribute('datetime'));
      if (!Number.isNaN(date.getTime())) {
        time.textContent = date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
      }
    }
  }

  function setBadge(card, stage, status) {
    const badge = card.querySelector(`.badge[data-stage="${stage}"]`);
    if (!badge) return;
    badge.dataset.status = status;
    badge.querySelector('b').textContent = status;
  }

  function updateThumbnail(card, status) {
    const thumb = card.querySelector('.thumb');
    if (!thumb) return;
    const current = thumb.querySelector('img');
    if (status.thumbnailUrl && !current) {
      const img = element('img');
      img.alt = `Thumbnail of ${card.querySelector('.filename')?.textContent ?? 'the image'}`;
      img.decoding = 'async';
      thumb.replaceChildren(img);
      img.src = status.thumbnailUrl;
      guard(img);
    } else if (status.thumbnailStatus === 'failed' && !current) {
      thumb.replaceChildren(placeholder('failed', 'No thumbnail'));
    } else if (status.thumbnailStatus === 'pending' && !current) {
      // Retried: the failure's placeholder gives way to the pending one.
      thumb.replaceChildren(placeholder('pending', 'Making thumbnail…'));
    }
    let failure = card.querySelector('.thumb-failure');
    if (status.thumbnailStatus === 'failed') {
      if (!failure) {
        failure = element('p', 'failure thumb-failure');
        card.append(failure);
      }
      failure.textContent = `Thumbnail failed: ${status.thumbnailError ?? 'no reason recorded'}`;
    } else if (failure) {
      failure.remove();
    }
  }

  /** The annotator's tags, text and safety flag, as the card partial shows them; null for none. */
  function machineMade(status) {
    const tags = status.tags ?? [];
    if (tags.length === 0 && !status.textInImage && status.safety !== 'sensitive') return null;
    const box = element('div', 'machine');
    box.dataset.machineMade = '';
    if (tags.length > 0) {
      const line = element('p', 'machine-tags');
      line.append(element('span', 'machine-label', 'Tags (machine-made):'), ' ');
      for (const tag of tags) {
        const link = element('a', 'tag', tag.label);
        link.href = `/gallery?${new URLSearchParams({ tag: tag.label })}`;
        link.title = `${Math.round(tag.confidence * 100)}% sure, by ${tag.source}. Show images with this tag`;
        line.append(link, ' ');
      }
      box.append(line);
    }
    if (status.textInImage) {
      const line = element('p', 'machine-text');
      line.append(
        element('span', 'machine-label', 'Text read in the image (machine-made):'),
        ' ',
        element('q', 'text-in-image', status.textInImage),
      );
      box.append(line);
    }
    if (status.safety === 'sensitive') {
      const line = element('p', 'machine-safety');
      line.append(element('span', 'machine-label', 'Flagged as sensitive (machine-made)'));
      box.append(line);
    }
    return box;
  }

  function updateAnnotation(card, status) {
    const box = card.querySelector('.annotation');
    if (!box || box.dataset.status === status.annotationStatus) return;
    box.dataset.status = status.annotationStatus;
    if (status.annotationStatus === 'completed') {
      box.replaceChildren(element('p', 'annotation-text', status.annotation ?? ''));
      const machine = machineMade(status);
      if (machine) box.append(machine);
    } else if (status.annotationStatus === 'failed') {
      const reason = status.annotationError ?? 'no reason recorded';
      box.replaceChildren(element('p', 'annotation-text failure', `Annotation failed: ${reason}`));
    } else {
      // Retried: the old failure is no longer the news.
      box.replaceChildren(element('p', 'annotation-text muted', 'Describing the image…'));
    }
  }

  function update(status) {
    const card = document.querySelector(`.card[data-id="${status.id}"]`);
    if (!card) return;
    const changes = [];
    for (const [stage, value] of [
      ['thumbnail', status.thumbnailStatus],
      ['annotation', status.annotationStatus],
    ]) {
      const badge = card.querySelector(`.badge[data-stage="${stage}"]`);
      if (badge && badge.dataset.status !== value) {
        changes.push(`${stage === 'thumbnail' ? 'thumbnail' : 'description'} ${value}`);
      }
    }
    if (changes.length > 0) announce(`${nameOf(card)}: ${changes.join(', ')}.`);
    setBadge(card, 'thumbnail', status.thumbnailStatus);
    setBadge(card, 'annotation', status.annotationStatus);
    updateThumbnail(card, status);
    updateAnnotation(card, status);
    if (status.thumbnailStatus !== 'pending' && status.annotationStatus !== 'pending') {
      card.removeAttribute('data-pending');
    }
  }

  function pendingIds() {
    return [...document.querySelectorAll('.card[data-pending]')]
      .map((card) => card.dataset.id)
      .slice(0, MAX_IDS);
  }

  /**
   * Opens a stream for the pending cards when the set gained one the current stream does not watch
   * (or `force`: a retried card); a set that only shrinks keeps its stream, the server drops settled ids.
   */
  function rewatch(force) {
    const ids = pendingIds();
    if (ids.length === 0) return;
    const known = new Set(watched);
    if (!force && ids.every((id) => known.has(id))) return;
    stream.close();
    watched = ids;
    stream = pushed.watch(ids, update);
  }

  function schedule(force) {
    clearTimeout(timer);
    rewatch(force);
    if (pendingIds().length === 0) return;
    timer = setTimeout(poll, Date.now() - startedAt > SLOW_AFTER_MS ? SLOW_POLL_MS : POLL_MS);
  }

  async function poll() {
    const ids = pendingIds();
    if (ids.length === 0) return;
    if (!document.hidden && !stream.live()) {
      try {
        const response = await fetch(`/api/images/status?ids=${ids.join(',')}`, {
          headers: { Accept: 'application/json' },
        });
        if (response.ok) {
          const body = await response.json();
          for (const status of body.images) update(status);
        }
      } catch {
        // Offline or restarting: try again on the next tick.
      }
    }
    schedule();
  }

  /** Puts the fragment's cards this page does not show yet in front, newest first. */
  function merge(html) {
    const template = document.createElement('template');
    template.innerHTML = html;
    const incoming = [...template.content.querySelectorAll('.card')];
    const known = new Set([...grid.querySelectorAll('.card')].map((card) => card.dataset.id));
    // Only the cards above the newest one shown: older ones were paged past, or filtered away.
    const top = grid.querySelector('.card');
    const fresh = [];
    for (const card of incoming) {
      if (top && card.dataset.id === top.dataset.id) break;
      if (!known.has(card.dataset.id)) fresh.push(card);
    }
    if (fresh.length === 0) return;
    grid.prepend(...fresh);
    document.getElementById('gallery-empty')?.remove();
    for (const card of fresh) {
      for (const img of card.querySelectorAll('.thumb img')) guard(img);
      localizeTimes(card);
    }
    const names = fresh.map(nameOf);
    announce(
      names.length === 1 ? `New image: ${names[0]}.` : `${names.length} new images: ${names.join(', ')}.`,
    );
    schedule();
  }

  async function arrivals() {
    if (!document.hidden) {
      try {
        const response = await fetch(grid.dataset.live, { headers: { Accept: 'text/html' } });
        if (response.ok) merge(await response.text());
      } catch {
        // Offline or restarting: try again on the next tick.
      }
    }
    setTimeout(arrivals, ARRIVALS_MS);
  }

  for (const img of document.querySelectorAll('.thumb img')) guard(img);
  localizeTimes(document);
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) poll();
  });
  // A card sent back to pending (actions.js's retry) is polled again.
  document.addEventListener('annot:pending', () => schedule(true));
  schedule();
  if (grid?.dataset.live) setTimeout(arrivals, ARRIVALS_MS);
})();
