// The web admin's only script: the bell follows the acting user's server-sent events, a
// "notice" shows for a few seconds, a header box ticks every row, the user menu switches on
// change. Everything else works without it.
(function () {
  "use strict";
  if (document.getElementById("bell") && window.EventSource) {
    var events = new EventSource("/events");
    events.addEventListener("counts-changed", function (e) {
      var counts = JSON.parse(e.data);
      setCount("bell-messages", counts.unread_threads);
      setCount("bell-disputes", counts.open_disputes);
    });
    // Give the connection back when leaving: a browser keeps only a few per server.
    window.addEventListener("pagehide", function () { events.close(); });
    events.addEventListener("notice", function (e) {
      var box = document.createElement("div");
      box.className = "toast";
      box.textContent = JSON.parse(e.data).text;
      document.body.appendChild(box);
      setTimeout(function () { box.remove(); }, 6000);
    });
  }
  function setCount(id, n) {
    var el = document.getElementById(id);
    if (!el || el.textContent === String(n)) return;
    el.textContent = n;
    el.parentElement.classList.toggle("zero", n === 0);
    el.parentElement.classList.add("pulse");
    setTimeout(function () { el.parentElement.classList.remove("pulse"); }, 1500);
  }
  document.querySelectorAll("[data-select-all]").forEach(function (all) {
    all.addEventListener("change", function () {
      all.form.querySelectorAll("input[name=order]").forEach(function (box) { box.checked = all.checked; });
    });
  });
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
})();
