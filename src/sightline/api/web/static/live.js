// Live regions: a [data-live-url] element is refreshed every data-live-seconds with the
// HTML fragment its URL answers (the server renders it with the same template as the
// page, so it reads the same). The answer's X-Live-Active header says whether to keep
// going (a video page stops once its jobs have finished). The refresh waits while the
// keyboard focus is inside the region (never pull a button from under the user), and a
// [data-live-toggle] button pauses and resumes it.

function setupLive(region) {
  const seconds = Math.max(1, Number(region.dataset.liveSeconds || 3));
  const toggle = document.querySelector(`[data-live-toggle="${region.id}"]`);
  const stamp = document.querySelector(`[data-live-stamp="${region.id}"]`);
  let paused = false;
  let timer = null;

  function schedule() {
    window.clearTimeout(timer);
    if (region.dataset.liveActive !== "false" && !paused) {
      timer = window.setTimeout(refresh, seconds * 1000);
    }
  }

  async function refresh() {
    if (document.hidden || region.contains(document.activeElement)) {
      schedule();
      return;
    }
    try {
      const response = await fetch(region.dataset.liveUrl, {
        headers: { Accept: "text/html" },
        credentials: "same-origin",
        cache: "no-store",
      });
      if (response.redirected || !response.ok) {
        if (stamp) {
          stamp.textContent = response.redirected
            ? "Signed out: reload the page to sign in again."
            : `Updating failed (HTTP ${response.status}); retrying.`;
        }
        if (response.redirected) return;
      } else {
        const template = document.createElement("template");
        template.innerHTML = await response.text();
        region.replaceChildren(template.content);
        region.dataset.liveActive = response.headers.get("X-Live-Active") ?? "true";
        if (stamp) stamp.textContent = `Updated ${new Date().toLocaleTimeString()}.`;
        region.dispatchEvent(new CustomEvent("live:updated", { bubbles: true }));
      }
    } catch (failure) {
      if (stamp) stamp.textContent = `Updating failed (${failure.message}); retrying.`;
    }
    schedule();
  }

  if (toggle) {
    toggle.addEventListener("click", () => {
      paused = !paused;
      toggle.setAttribute("aria-pressed", String(paused));
      toggle.textContent = paused ? "Resume updates" : "Pause updates";
      if (!paused) refresh();
      else window.clearTimeout(timer);
    });
  }
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden && !paused) schedule();
  });
  schedule();
}

for (const region of document.querySelectorAll("[data-live-url]")) setupLive(region);
