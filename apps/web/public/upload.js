// The upload page: every file is sent in its own request, so each gets its own progress bar
// (driven by real XHR upload progress) and its own result. The form still posts without this.
(() => {
  document.documentElement.classList.add('js');

  const form = document.getElementById('upload-form');
  const input = document.getElementById('file-input');
  const zone = document.getElementById('dropzone');
  const results = document.getElementById('upload-results');
  const list = document.getElementById('upload-list');
  const live = document.getElementById('upload-live');
  if (!form || !input || !zone || !results || !list) return;

  /** Says each upload's result to screen readers, politely (after what they are reading). */
  function announce(text) {
    if (!live) return;
    const line = document.createElement('p');
    line.textContent = text;
    live.append(line);
  }

  const field = form.dataset.field || 'image';
  const CONCURRENT_UPLOADS = 3;
  const queue = [];
  let active = 0;

  function formatSize(bytes) {
    if (bytes < 1024) return `${bytes} B`;
    if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
    return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function renderItem(file) {
    const item = element('li', 'upload-item');
    item.dataset.state = 'queued';
    const bar = element('div', 'progress-bar');
    const progress = element('div', 'progress');
    progress.setAttribute('role', 'progressbar');
    progress.setAttribute('aria-valuemin', '0');
    progress.setAttribute('aria-valuemax', '100');
    progress.setAttribute('aria-valuenow', '0');
    progress.setAttribute('aria-label', `Upload of ${file.name}`);
    progress.append(bar);
    item.append(
      element('span', 'upload-name', file.name),
      element('span', 'upload-size', formatSize(file.size)),
      progress,
      element('span', 'upload-message', 'Waiting…'),
    );
    list.append(item);
    return item;
  }

  function setProgress(item, fraction) {
    const percent = Math.round(fraction * 100);
    item.querySelector('.progress-bar').style.width = `${percent}%`;
    item.querySelector('.progress').setAttribute('aria-valuenow', String(percent));
  }

  function finish(item, state, message, link) {
    item.dataset.state = state;
    const name = item.querySelector('.upload-name')?.textContent ?? 'A file';
    announce(state === 'done' ? `${name}: uploaded.` : `${name}: not uploaded. ${message}`);
    setProgress(item, 1);
    const text = item.querySelector('.upload-message');
    text.textContent = message;
    if (link) {
      text.append(' · ');
      const a = element('a', '', link.text);
      a.href = link.href;
      text.append(a);
    }
  }

  function send(job) {
    return new Promise((resolve) => {
      const { file, item } = job;
      const xhr = new XMLHttpRequest();
      item.dataset.state = 'uploading';
      item.querySelector('.upload-message').textContent = 'Uploading…';
      xhr.open('POST', '/upload');
      xhr.setRequestHeader('Accept', 'application/json');
      xhr.upload.addEventListener('progress', (event) => {
        if (!event.lengthComputable) return;
        setProgress(item, event.loaded / event.total);
        if (event.loaded === event.total) item.querySelector('.upload-message').textContent = 'Checking…';
      });
      xhr.addEventListener('load', () => {
        let body = null;
        try {
          body = JSON.parse(xhr.responseText);
        } catch {
          body = null;
        }
        const image = body && Array.isArray(body.images) ? body.images[0] : undefined;
        if ((xhr.status === 201 || xhr.status === 200) && image && image.duplicate === true) {
          // The same bytes were uploaded before: nothing new was stored.
          const as = image.filename === file.name ? '' : ` as “${image.filename}”`;
          finish(item, 'duplicate', `Already in the library${as}: not stored again`, {
            href: `/images/${encodeURIComponent(String(image.id))}`,
            text: 'View it',
          });
        } else if (xhr.status === 201 && image) {
          finish(item, 'done', 'Uploaded: the thumbnail and description are on their way', {
            href: '/gallery',
            text: 'Open the gallery',
          });
        } else {
          const reason =
            body && typeof body.message === 'string' ? body.message : `Upload failed (HTTP ${xhr.status})`;
          finish(item, 'refused', reason);
        }
      });
      xhr.addEventListener('error', () =>
        finish(item, 'refused', 'Network error: the upload did not reach the server'),
      );
      xhr.addEventListener('abort', () => finish(item, 'refused', 'Upload cancelled'));
      xhr.addEventListener('loadend', () => resolve());
      const data = new FormData();
      data.append(field, file, file.name);
      xhr.send(data);
    });
  }

  function pump() {
    while (active < CONCURRENT_UPLOADS && queue.length > 0) {
      const job = queue.shift();
      active++;
      send(job).finally(() => {
        active--;
        pump();
      });
    }
  }

  function addFiles(files) {
    if (!files || files.length === 0) return;
    results.hidden = false;
    for (const file of files) queue.push({ file, item: renderItem(file) });
    pump();
  }

  input.addEventListener('change', () => {
    addFiles([...input.files]);
    input.value = '';
  });

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    addFiles([...input.files]);
    input.value = '';
  });

  for (const type of ['dragenter', 'dragover']) {
    zone.addEventListener(type, (event) => {
      event.preventDefault();
      zone.classList.add('is-dragging');
    });
  }
  for (const type of ['dragleave', 'dragend', 'drop']) {
    zone.addEventListener(type, () => zone.classList.remove('is-dragging'));
  }
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    addFiles([...(event.dataTransfer?.files ?? [])]);
  });
  // A file dropped beside the zone must not make the browser navigate away to it.
  window.addEventListener('dragover', (event) => event.preventDefault());
  window.addEventListener('drop', (event) => event.preventDefault());
})();
