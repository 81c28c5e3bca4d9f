// The console's print buttons: print the page (its print stylesheet leaves the slip alone).
document.querySelectorAll("[data-print]").forEach((button) => {
  button.addEventListener("click", () => window.print());
});
