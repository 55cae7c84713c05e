// 常用意见: choosing a common opinion inserts it into the text field beside it (at the end, on its own line).
(function () {
  "use strict";
  document.querySelectorAll("select.phrase-picker").forEach(function (picker) {
    picker.addEventListener("change", function () {
      var target = document.getElementById(picker.dataset.target);
      if (target && picker.value) {
        target.value = target.value ? target.value.replace(/\s+$/, "") + "\n" + picker.value : picker.value;
        target.focus();
      }
      picker.value = "";
    });
  });
})();
