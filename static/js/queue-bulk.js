/* The queue's "Select all on this page" (templates/staff/_queue_bulk.html): without JavaScript it is
   a link that shows the page again with every box ticked; here it ticks them in place, and then
   offers to clear them. */
(function () {
  "use strict";
  var links = document.querySelectorAll("[data-bulk-select]");
  if (!links.length) { return; }
  var boxes = document.querySelectorAll("input[type=checkbox][name=bulk_items]");
  var words = {
    all: links[0].getAttribute("data-select-all-text"),
    none: links[0].getAttribute("data-select-none-text")
  };
  function allTicked() {
    for (var i = 0; i < boxes.length; i++) { if (!boxes[i].checked) { return false; } }
    return boxes.length > 0;
  }
  function show(link) {
    var next = allTicked() ? "none" : "all";
    link.setAttribute("data-bulk-select", next);
    link.textContent = words[next];
  }
  for (var i = 0; i < links.length; i++) {
    links[i].addEventListener("click", function (event) {
      event.preventDefault();
      var tick = this.getAttribute("data-bulk-select") === "all";
      for (var j = 0; j < boxes.length; j++) { boxes[j].checked = tick; }
      show(this);
    });
  }
  for (var k = 0; k < boxes.length; k++) {
    boxes[k].addEventListener("change", function () {
      for (var m = 0; m < links.length; m++) { show(links[m]); }
    });
  }
})();
