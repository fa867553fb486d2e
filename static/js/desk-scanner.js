/* The sampling desk with a barcode scanner, which types what it reads and then presses Enter
   (templates/staff/sampling/desk.html and appointment.html). Without JavaScript both pages work
   as plain forms; this only makes Enter land where a scanner needs it.

   - The reference box ([data-scan-box]) needs nothing here: it is focused by its autofocus
     attribute and comes back empty after "not found" (the server clears it), so that the next
     scan stands alone; if a browser restores text into it, the text is selected, to be replaced.
   - In the tube boxes of a form marked [data-tube-scan], Enter does not send the form while any
     person's box is still empty: it moves the focus to the next empty box. Once every box holds a
     number, Enter sends the form as usual. The "Save samples" button always sends it, so staff
     can still save the samples of only the people who came. */
(function () {
  "use strict";
  var scanBox = document.querySelector("input[data-scan-box]");
  if (scanBox && document.activeElement === scanBox && scanBox.value) { scanBox.select(); }

  var forms = document.querySelectorAll("form[data-tube-scan]");
  for (var f = 0; f < forms.length; f++) {
    var boxes = forms[f].querySelectorAll("input[type=text][name^='tube-']:not([disabled])");
    for (var i = 0; i < boxes.length; i++) {
      boxes[i].addEventListener("keydown", onKeydown(boxes, i));
    }
  }

  function isEmpty(box) { return box.value.replace(/\s+/g, "") === ""; }

  function onKeydown(boxes, index) {
    return function (event) {
      if (event.key !== "Enter" || event.isComposing) { return; }
      // The next empty box after this one, going round to the first.
      for (var step = 1; step <= boxes.length; step++) {
        var next = boxes[(index + step) % boxes.length];
        if (isEmpty(next)) {
          event.preventDefault();
          if (next !== boxes[index]) { next.focus(); }
          return;
        }
      }
    };
  }
})();
