/* The "Print this page" button of the print-friendly confirmation: shown only when JavaScript can print. */
(function () {
  "use strict";
  var buttons = document.querySelectorAll("[data-print-page]");
  for (var i = 0; i < buttons.length; i++) {
    buttons[i].hidden = false;
    buttons[i].addEventListener("click", function () { window.print(); });
  }
})();
