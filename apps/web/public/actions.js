// Delete and retry buttons (views/partials/actions.eta), on gallery cards and the image's page.
// The server shows them only to a viewer who may use them; the requests carry this site's
// Origin and the uploader cookie. Results are announced through the area's aria-live status.
(() => {
  const STAGE_NAMES = { thumbnail: 'thumbnail', annotation: 'annotation' };

  function say(area, text) {
    const status = area.querySelector('.action-status');
    if (status) status.textContent = text;
  }

  async function message(response) {
    try {
      const body = await response.json();
      if (body && typeof body.message === 'string') return body.message;
    } catch {
      // Not JSON: fall through.
    }
    return `The server answered ${response.status}.`;
  }

  function setBadges(root, image) {
    for (const stage of Object.keys(STAGE_NAMES)) {
      const badge = root.querySelector(`.badge[data-stage="${stage}"]`);
      if (!badge) continue;
      const status = image[`${stage}Status`];
      badge.dataset.status = status;
      const b = badge.querySelector('b');
      if (b) b.textContent = status;
    }
  }

  async function remove(area, button) {
    const id = area.dataset.id;
    if (!window.confirm('Delete this image? The original, its thumbnail and its annotation are removed.'))
      return;
    button.disabled = true;
    say(area, 'Deleting…');
    try {
      const response = await fetch(`/api/images/${id}`, {
        method: 'DELETE',
        headers: { Accept: 'application/json' },
        credentials: 'same-origin',
      });
      if (response.status === 204 || response.status === 404) {
        if (area.dataset.back) {
          window.location.assign(area.dataset.back);
          return;
        }
        // The card (and its own status area) goes: the page's live region says so, and focus
        // moves to the next card's link (or the previous one's) rather than falling to the body.
        const card = area.closest('.card');
        const name = card?.querySelector('.filename')?.textContent?.trim();
        const next = card?.nextElementSibling ?? card?.previousElementSibling;
        const live = document.getElementById('live');
        if (live) live.textContent = name ? `Deleted ${name}.` : 'Image deleted.';
        card?.remove();
        next?.querySelector('a')?.focus();
        return;
      }
      say(area, await message(response));
    } catch {
      say(area, 'The image could not be deleted: the server did not answer. Try again.');
    }
    button.disabled = false;
  }

  async function retry(area, button) {
    const id = area.dataset.id;
    const stage = button.dataset.stage;
    for (const b of area.querySelectorAll('button')) b.disabled = true;
    say(area, 'Sending the retry…');
    try {
      const response = await fetch(`/api/images/${id}/retry`, {
        method: 'POST',
        headers: stage
          ? { Accept: 'application/json', 'Content-Type': 'application/json' }
          : { Accept: 'application/json' },
        body: stage ? JSON.stringify({ stage }) : undefined,
        credentials: 'same-origin',
      });
      if (response.status === 202) {
        const image = await response.json();
        const root = area.closest('.card, .image-page') ?? document;
        setBadges(root, image);
        for (const b of area.querySelectorAll('button[data-action="retry"]')) b.remove();
        say(area, 'Retry sent: the image is being processed again.');
        // The gallery's and the page's polling pick the card up again.
        root.setAttribute('data-pending', '');
        document.dispatchEvent(new CustomEvent('annot:pending', { detail: { id: Number(id) } }));
      } else {
        say(area, await message(response));
      }
    } catch {
      say(area, 'The retry could not be sent: the server did not answer. Try again.');
    }
    for (const b of area.querySelectorAll('button')) b.disabled = false;
  }

  document.addEventListener('click', (event) => {
    const button =
      event.target instanceof Element ? event.target.closest('.actions button[data-action]') : null;
    if (!button) return;
    const area = button.closest('.actions');
    if (!area) return;
    if (button.dataset.action === 'delete') remove(area, button);
    else if (button.dataset.action === 'retry') retry(area, button);
  });

  // The image's page: while a stage is pending, follow its pushed status (live.js), or poll it
  // while the stream is not live, and reload once both stages are settled.
  function watch(page) {
    const id = page.dataset.id;
    const live = window.annotLive ?? { pollMs: 1000, watch: () => ({ live: () => false, close() {} }) };
    let reloading = false;
    let stream;
    const apply = (status) => {
      if (reloading || String(status.id) !== id) return;
      setBadges(page, status);
      if (status.thumbnailStatus !== 'pending' && status.annotationStatus !== 'pending') {
        reloading = true;
        stream?.close();
        window.location.reload();
      }
    };
    stream = live.watch([id], apply);
    const check = async () => {
      if (reloading) return;
      if (!stream.live()) {
        try {
          const response = await fetch(`/api/images/status?ids=${id}`, {
            headers: { Accept: 'application/json' },
          });
          if (response.ok) {
            const [status] = (await response.json()).images;
            if (!status) return;
            apply(status);
          }
        } catch {
          // Try again on the next tick.
        }
      }
      if (!reloading) setTimeout(check, live.pollMs);
    };
    setTimeout(check, live.pollMs);
  }

  const page = document.querySelector('.image-page[data-pending]');
  if (page) watch(page);
  document.addEventListener('annot:pending', () => {
    const retried = document.querySelector('.image-page[data-pending]');
    if (retried && retried !== page) watch(retried);
  });
})();
