// « Tout sélectionner » on the list of patrons ticks every row of the page
// at once. Without JavaScript, the same button asks the server for the page
// with every row ticked.
(function () {
  "use strict";
  var button = document.querySelector('button[value="tout-selectionner"]');
  if (!button) {
    return;
  }
  button.addEventListener("click", function (event) {
    event.preventDefault();
    var boxes = document.querySelectorAll('input[type="checkbox"][name="abonne"]');
    for (var i = 0; i < boxes.length; i++) {
      boxes[i].checked = true;
    }
    if (boxes.length > 0) {
      boxes[0].focus();
    }
  });
})();
