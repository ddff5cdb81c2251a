// Swagger UI's own dark theme (the `dark-mode` class on <html>), following the system's
// colour scheme as the rest of the portal does. Loaded before Swagger UI draws, so the
// reference never flashes white in the dark.
(function () {
  var dark = window.matchMedia("(prefers-color-scheme: dark)");
  function follow() {
    document.documentElement.classList.toggle("dark-mode", dark.matches);
  }
  follow();
  dark.addEventListener("change", follow);
})();
