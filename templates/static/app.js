// Small progressive enhancements; every page works without JavaScript.
document.addEventListener("click", (event) => {
  const copy = event.target.closest("[data-copy]");
  if (copy) {
    const text = document.getElementById(copy.dataset.copy)?.textContent ?? "";
    navigator.clipboard?.writeText(text.trim()).then(() => { copy.textContent = "Copied"; });
  }
  const confirmer = event.target.closest("[data-confirm]");
  if (confirmer && !window.confirm(confirmer.dataset.confirm)) {
    event.preventDefault();
  }
});
