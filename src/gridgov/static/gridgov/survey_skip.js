// Skip rules on the answer form: a question whose rule is not met is hidden and its answer
// cleared. Without JavaScript every question shows with its rule written out, and the
// server refuses an answer to a skipped question.
(function () {
  "use strict";
  var form = document.getElementById("answer-form");
  if (!form) { return; }
  var blocks = Array.prototype.slice.call(form.querySelectorAll("[data-show-if]"));
  if (!blocks.length) { return; }
  function values(name, block) {
    var found = [];
    var inputs = form.querySelectorAll("[name='" + name + "']");
    Array.prototype.forEach.call(inputs, function (input) {
      var holder = input.closest("fieldset");
      if (holder && holder.hidden) { return; }
      if ((input.type === "radio" || input.type === "checkbox") && !input.checked) { return; }
      if (input.value !== "") { found.push(input.value); }
    });
    return found;
  }
  function clear(block) {
    Array.prototype.forEach.call(block.querySelectorAll("input, textarea"), function (input) {
      if (input.type === "radio" || input.type === "checkbox") { input.checked = false; } else { input.value = ""; }
    });
  }
  function update() {
    blocks.forEach(function (block) {
      var wanted = block.dataset.showValues.split("|");
      var given = values(block.dataset.showIf, block);
      var show = given.some(function (v) { return wanted.indexOf(v) !== -1; });
      if (!show && !block.hidden) { clear(block); }
      block.hidden = !show;
      var note = block.querySelector(".skip-note");
      if (note) { note.hidden = true; }
    });
  }
  form.addEventListener("change", update);
  form.addEventListener("input", update);
  update();
})();
