/* "Exit this page": leave at once, and leave no history entry to come back to.
 * The link goes to /exit, which forgets this browser's answers on the server and in its cookies,
 * then redirects to a neutral page: without JavaScript that is all. With it, the click (or pressing
 * Shift three times within two seconds) blanks this page and replaces the current history entry,
 * so the Back button does not return here. Loaded from static/: the CSP allows no inline script. */
(function () {
  "use strict";
  var links = document.querySelectorAll("[data-exit-this-page]");
  if (!links.length) { return; }
  var target = links[0].getAttribute("href");

  function exitNow(event) {
    if (event) { event.preventDefault(); }
    document.documentElement.className += " exiting";
    document.title = "";
    window.location.replace(target);
  }

  for (var i = 0; i < links.length; i++) {
    links[i].addEventListener("click", exitNow);
  }

  var presses = 0;
  var timer = null;
  document.addEventListener("keyup", function (event) {
    if (event.key !== "Shift") { presses = 0; return; }
    presses += 1;
    if (timer) { window.clearTimeout(timer); }
    timer = window.setTimeout(function () { presses = 0; }, 2000);
    if (presses >= 3) {
      presses = 0;
      exitNow();
    }
  });
})();
