// The gallery: cards still pending are polled through /api/images/status and updated in place
// (statuses, thumbnail, description, failure reasons) until both stages are completed or failed.
(() => {
  document.documentElement.classList.add('js');

  const POLL_MS = 1000;
  const SLOW_POLL_MS = 5000;
  const SLOW_AFTER_MS = 2 * 60 * 1000;
  const MAX_IDS = 100;
  const startedAt = Date.now();
  let timer;

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

  function updateAnnotation(card, status) {
    const box = card.querySelector('.annotation');
    if (!box || box.dataset.status === status.annotationStatus) return;
    box.dataset.status = status.annotationStatus;
    if (status.annotationStatus === 'completed') {
      box.replaceChildren(element('p', 'annotation-text', status.annotation ?? ''));
    } else if (status.annotationStatus === 'failed') {
      const reason = status.annotationError ?? 'no reason recorded';
      box.replaceChildren(element('p', 'annotation-text failure', `Annotation failed: ${reason}`));
    }
  }

  function update(status) {
    const card = document.querySelector(`.card[data-id="${status.id}"]`);
    if (!card) return;
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

  function schedule() {
    clearTimeout(timer);
    if (pendingIds().length === 0) return;
    timer = setTimeout(poll, Date.now() - startedAt > SLOW_AFTER_MS ? SLOW_POLL_MS : POLL_MS);
  }

  async function poll() {
    const ids = pendingIds();
    if (ids.length === 0) return;
    if (!document.hidden) {
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

  for (const img of document.querySelectorAll('.thumb img')) guard(img);
  localizeTimes(document);
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) poll();
  });
  // A card sent back to pending (actions.js's retry) is polled again.
  document.addEventListener('annot:pending', () => schedule());
  schedule();
})();
