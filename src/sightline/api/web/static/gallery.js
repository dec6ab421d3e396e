// The album gallery, progressively enhanced: drag-and-drop and chosen files upload
// through the JSON API without leaving the page, and each photo's status follows the
// server's live stream (Server-Sent Events). Without JavaScript the form posts and the
// page shows the status as of its loading.

const STATE_LABELS = {
  uploaded: "Uploaded",
  processing: "Processing",
  completed: "Completed",
  failed: "Failed",
};

const gallery = document.querySelector("[data-gallery]");
const template = document.getElementById("tile-template");
const csrfToken = document.querySelector('meta[name="csrf-token"]')?.content ?? "";

function capitalize(text) {
  return text ? text[0].toUpperCase() + text.slice(1) : "";
}

function tileFor(photo) {
  let tile = document.getElementById(`photo-${photo.id}`);
  if (!tile) {
    tile = template.content.firstElementChild.cloneNode(true);
    tile.id = `photo-${photo.id}`;
    tile.dataset.photoId = photo.id;
    gallery.append(tile);
  }
  return tile;
}

// Fill a tile's slots from a PhotoModel (the JSON API's and the stream's shape).
function render(photo) {
  const tile = tileFor(photo);
  const status = photo.status;
  tile.dataset.state = status.state;
  tile.querySelector("[data-link]").href = photo.page_url;
  tile.querySelector("[data-name]").textContent = photo.file_name;
  tile.querySelector("[data-badge]").textContent = STATE_LABELS[status.state] ?? status.state;

  const run = tile.querySelector("[data-run]");
  run.replaceChildren();
  if (status.state !== "uploaded") {
    const code = document.createElement("code");
    code.textContent = status.run_id;
    run.append(`${capitalize(status.run_kind)} `, code);
  }

  let reason = "";
  if (status.reason) {
    reason = `${status.retrying ? "Retrying: " : ""}${status.error ? `${status.error}: ` : ""}${status.reason}`;
  }
  tile.querySelector("[data-reason]").textContent = reason;

  const tags = tile.querySelector("[data-tags]");
  tags.replaceChildren(
    ...photo.tags.map((tag) => {
      const li = document.createElement("li");
      li.textContent = tag;
      return li;
    }),
  );

  const thumb = tile.querySelector("[data-thumb]");
  if (photo.thumbnail_url && !thumb.querySelector("img")) {
    const img = document.createElement("img");
    img.src = photo.thumbnail_url;
    img.alt = "";
    img.loading = "lazy";
    thumb.replaceChildren(img);
  }
  refreshSummary();
}

function refreshSummary() {
  const tiles = [...gallery.querySelectorAll(".tile")];
  const count = (state) => tiles.filter((t) => t.dataset.state === state).length;
  document.querySelector("[data-empty]")?.toggleAttribute("hidden", tiles.length > 0);
  const counter = document.querySelector("[data-count]");
  if (counter) counter.textContent = String(tiles.length);
  const summary = document.querySelector("[data-summary]");
  if (!summary || tiles.length === 0) return;
  const waiting = count("uploaded") + count("processing");
  summary.textContent =
    `${count("completed")} of ${tiles.length} photos completed` +
    (count("failed") ? `, ${count("failed")} failed` : "") +
    (waiting ? `, ${waiting} in progress.` : ".");
}

// --- live status ---------------------------------------------------------------

function follow() {
  const source = new EventSource(gallery.dataset.eventsUrl);
  source.addEventListener("photo", (event) => render(JSON.parse(event.data)));
  source.addEventListener("removed", (event) => {
    document.getElementById(`photo-${JSON.parse(event.data)}`)?.remove();
    refreshSummary();
  });
  // The album was deleted or is no longer shared with us.
  source.addEventListener("gone", () => source.close());
}

// --- uploads -------------------------------------------------------------------

function setupUploads(form) {
  const input = form.querySelector('input[type="file"]');
  const zone = form.querySelector("[data-dropzone]");
  const error = form.querySelector("[data-upload-error]");
  const progress = form.querySelector("[data-upload-progress]");
  const button = form.querySelector("[data-upload-button]");

  async function send(files) {
    if (!files.length) {
      error.textContent = "Choose at least one photo to upload.";
      input.setAttribute("aria-invalid", "true");
      return;
    }
    error.textContent = "";
    input.removeAttribute("aria-invalid");
    const body = new FormData();
    for (const file of files) body.append("files", file, file.name);
    progress.textContent = `Uploading ${files.length} file${files.length === 1 ? "" : "s"}…`;
    button.disabled = true;
    try {
      const response = await fetch(gallery.dataset.uploadUrl, {
        method: "POST",
        body,
        headers: { "X-CSRF-Token": csrfToken, Accept: "application/json" },
        credentials: "same-origin",
      });
      const answer = await response.json().catch(() => ({}));
      if (!response.ok) {
        error.textContent = answer.message ?? `The upload failed (HTTP ${response.status}).`;
        input.setAttribute("aria-invalid", "true");
        progress.textContent = "";
        return;
      }
      for (const photo of answer.photos) render(photo);
      const n = answer.photos.length;
      progress.textContent = `Uploaded ${n} file${n === 1 ? "" : "s"}; analysing…`;
    } catch (failure) {
      error.textContent = `The upload failed: ${failure.message}. Check the connection and try again.`;
      progress.textContent = "";
    } finally {
      button.disabled = false;
      input.value = "";
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    send([...input.files]);
  });
  input.addEventListener("change", () => {
    if (input.files.length) send([...input.files]);
  });
  for (const type of ["dragenter", "dragover"]) {
    zone.addEventListener(type, (event) => {
      event.preventDefault();
      zone.classList.add("dragging");
    });
  }
  for (const type of ["dragleave", "drop"]) {
    zone.addEventListener(type, () => zone.classList.remove("dragging"));
  }
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    send([...(event.dataTransfer?.files ?? [])]);
  });
}

if (gallery && template) {
  const form = document.querySelector("[data-upload-form]");
  if (form) setupUploads(form);
  refreshSummary();
  follow();
}
