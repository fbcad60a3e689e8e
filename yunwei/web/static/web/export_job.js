// An export job's page: asks the job's state every two seconds until it is ready, failed or expired, and
// shows the progress, the download link or why it failed.
(function () {
  "use strict";
  const card = document.querySelector("[data-export-job]");
  if (!card) return;
  const FINAL = ["done", "failed", "expired"];
  const state = card.querySelector("[data-job-state]");
  const count = card.querySelector("[data-job-count]");
  const bar = card.querySelector("[data-job-progress]");
  const error = card.querySelector("[data-job-error]");
  const download = card.querySelector("[data-job-download]");
  const sha = card.querySelector("[data-job-sha]");

  function show(status) {
    state.textContent = status.state_label;
    state.className = "badge text-bg-" + ({ done: "success", failed: "danger", running: "primary" }[status.state] || "secondary");
    if (status.total !== null) count.textContent = status.written + " / " + status.total;
    bar.setAttribute("aria-valuenow", status.percent);
    bar.firstElementChild.style.width = status.percent + "%";
    if (status.state === "failed") {
      error.querySelector("span").textContent = status.error;
      error.classList.remove("d-none");
    }
    if (status.download_url) {
      download.href = status.download_url;
      download.classList.remove("d-none");
      sha.querySelector("code").textContent = status.sha256;
      sha.classList.remove("d-none");
    }
  }

  function poll() {
    fetch(card.dataset.exportJob, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (status) {
        if (!status) return;
        show(status);
        if (FINAL.indexOf(status.state) === -1) window.setTimeout(poll, 2000);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  poll();
})();
