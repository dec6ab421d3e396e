// Forms whose work takes a moment (a face to index, a video to upload) say so on their
// button while the browser waits for the answer, so the form is not sent twice.

for (const form of document.querySelectorAll("form[data-busy]")) {
  const button = form.querySelector('button[type="submit"]');
  if (!button) continue;
  const label = button.textContent;
  form.addEventListener("submit", () => {
    button.disabled = true;
    button.textContent = form.dataset.busy;
  });
  // Back from the next page (the browser's page cache): the button works again.
  window.addEventListener("pageshow", () => {
    button.disabled = false;
    button.textContent = label;
  });
}
