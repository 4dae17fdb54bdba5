/* pytest-readiness: filter the static item table. Without script the table is simply all there. */
(function () {
  var form = document.getElementById("readiness-filters");
  if (!form) { return; }
  var outcome = document.getElementById("readiness-filter-outcome");
  var category = document.getElementById("readiness-filter-category");
  var text = document.getElementById("readiness-filter-text");
  var status = document.getElementById("readiness-filter-status");
  var rows = document.querySelectorAll("#readiness-items tr[data-outcome]");
  var phases = document.querySelectorAll("#readiness-items details.phase");
  form.hidden = false;
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  function apply() {
    var o = outcome.value, c = category.value, q = text.value.trim().toLowerCase();
    var shown = 0;
    for (var i = 0; i < rows.length; i++) {
      var row = rows[i];
      var keep = (!o || row.dataset.outcome === o) && (!c || row.dataset.category === c) &&
        (!q || row.cells[0].textContent.toLowerCase().indexOf(q) >= 0);
      row.hidden = !keep;
      if (keep) { shown++; }
    }
    if (o || c || q) {
      for (var j = 0; j < phases.length; j++) {
        phases[j].open = phases[j].querySelector("tr[data-outcome]:not([hidden])") !== null;
      }
    }
    status.textContent = shown + " of " + rows.length + " items shown";
  }
  outcome.addEventListener("change", apply);
  category.addEventListener("change", apply);
  text.addEventListener("input", apply);
})();
/* Repairs to pytest-html's own page that axe-core flags (its template has no lang and its
   outcome checkboxes have no labels); they run after its script has drawn the page. */
document.addEventListener("DOMContentLoaded", function () {
  if (!document.documentElement.lang) { document.documentElement.lang = "en"; }
  var boxes = document.querySelectorAll("input.filter[data-test-result]");
  for (var i = 0; i < boxes.length; i++) {
    if (!boxes[i].getAttribute("aria-label")) {
      boxes[i].setAttribute("aria-label", "show " + boxes[i].dataset.testResult + " tests");
    }
  }
});
