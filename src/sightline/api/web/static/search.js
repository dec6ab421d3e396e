// A person search scans photos' faces for a limited time per request; while some are
// left, run the same search again so the results fill in without a click.

const pending = document.querySelector("[data-scan-pending]");
if (pending) {
  const again = pending.querySelector("a");
  window.setTimeout(() => window.location.replace(again.href), 500);
}
