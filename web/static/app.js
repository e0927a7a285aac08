/* Light progressive enhancement: every page works without this file.
   - buttons with data-confirmer ask before submitting (deleting a plan or an action);
   - the territory search box suggests territories as one types (the same look-up as the
     « Chercher » button, through /api/territoires). */
"use strict";
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-confirmer]");
  if (button && !window.confirm(button.getAttribute("data-confirmer"))) {
    event.preventDefault();
  }
});
document.addEventListener("DOMContentLoaded", function () {
  var box = document.querySelector("input[data-suggestions]");
  if (!box) { return; }
  var list = document.createElement("ul");
  list.className = "suggestions";
  list.id = "suggestions-territoire";
  list.setAttribute("aria-label", "Suggestions de territoires");
  box.parentNode.appendChild(list);
  var timer = null;
  box.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(function () {
      var text = box.value.trim();
      if (text.length < 2) { list.replaceChildren(); return; }
      fetch(box.getAttribute("data-suggestions") + "?q=" + encodeURIComponent(text))
        .then(function (response) { return response.ok ? response.json() : { territoires: [] }; })
        .then(function (data) {
          list.replaceChildren.apply(list, data.territoires.map(function (place) {
            var item = document.createElement("li");
            var link = document.createElement("a");
            link.href = "?choix=" + encodeURIComponent(place.code);
            link.textContent = place.libelle;
            item.appendChild(link);
            return item;
          }));
        })
        .catch(function () { list.replaceChildren(); });
    }, 250);
  });
});
