// Posts the SAML answer to the resource's site as soon as the page is read,
// sparing the patron a click. Without JavaScript, the page's button
// « Continuer vers … » sends the same form.
(function () {
  "use strict";
  var form = document.getElementById("saml-reponse");
  if (form) {
    form.submit();
  }
})();
