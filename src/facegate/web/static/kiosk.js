// The kiosk forgets: after the idle timeout without a touch or a key, the page posts "Done"
// (the server forgets the person anyway, at its next request; this brings the screen back to
// the start for the next person). Ten seconds before, it asks whether someone is still there.
(function () {
  "use strict";
  var seconds = Number(document.body.dataset.idle || 0);
  var form = document.querySelector("form[data-idle-form]");
  if (!seconds || !form) return;
  var warning = document.querySelector("[data-idle-warning]");
  var stay = document.querySelector("[data-idle-stay]");
  var warnAfter = Math.max(seconds - 10, seconds / 2) * 1000;
  var warnTimer = null, leaveTimer = null, busy = false;

  function leave() { if (!busy) form.submit(); }
  function warn() { if (warning) { warning.hidden = false; if (stay) stay.focus(); } }
  function reset() {
    if (warning) warning.hidden = true;
    clearTimeout(warnTimer); clearTimeout(leaveTimer);
    warnTimer = setTimeout(warn, warnAfter);
    leaveTimer = setTimeout(leave, seconds * 1000);
  }
  ["pointerdown", "keydown", "touchstart", "input"].forEach(function (name) {
    document.addEventListener(name, reset, { passive: true, capture: true });
  });
  // A capture being sent is not idleness: its answer is a new page.
  document.addEventListener("submit", function () { busy = true; }, true);
  if (stay) stay.addEventListener("click", reset);
  reset();
})();
