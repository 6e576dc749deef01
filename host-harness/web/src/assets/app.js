// The web admin's only script. Everything works without it (links, forms, the bell's menu
// links); with it:
// - the bell follows the acting user's server-sent events, and its button opens and closes
//   its menu (a disclosure: aria-expanded; Escape, a click elsewhere or leaving it with Tab
//   closes it);
// - a "notice" event shows for a few seconds;
// - on the Messages list, a bell that moves (or a notice) says the rows may be out of date;
// - a click anywhere on a thread's row opens the conversation (its links, box and forms keep
//   their own behaviour);
// - a header box ticks every row, the user menu switches on change.
(function () {
  "use strict";
  var bell = document.getElementById("bell");
  var stale = document.getElementById("list-stale");

  // The bell's menu.
  var button = document.getElementById("bell-button");
  var menu = document.getElementById("bell-menu");
  if (bell && button && menu) {
    var setOpen = function (open) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
      menu.hidden = !open;
    };
    var isOpen = function () { return button.getAttribute("aria-expanded") === "true"; };
    button.addEventListener("click", function () { setOpen(!isOpen()); });
    bell.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && isOpen()) {
        setOpen(false);
        button.focus();
      } else if (e.key === "ArrowDown" && e.target === button) {
        e.preventDefault();
        setOpen(true);
        menu.querySelector("a").focus();
      }
    });
    document.addEventListener("click", function (e) {
      if (isOpen() && !bell.contains(e.target)) setOpen(false);
    });
    bell.addEventListener("focusout", function (e) {
      if (isOpen() && e.relatedTarget && !bell.contains(e.relatedTarget)) setOpen(false);
    });
  }

  // Live updates.
  if (bell && window.EventSource) {
    var drawn = { messages: bell.dataset.messages, disputes: bell.dataset.disputes };
    var events = new EventSource("/events");
    events.addEventListener("counts-changed", function (e) {
      var counts = JSON.parse(e.data);
      setCount("messages", counts.unread_threads);
      setCount("disputes", counts.open_disputes);
      // The first event is the bell now: it differs from the page's if something changed
      // since the page was drawn.
      if (String(counts.unread_threads) !== drawn.messages ||
          String(counts.open_disputes) !== drawn.disputes) {
        showStale();
      }
    });
    // Give the connection back when leaving: a browser keeps only a few per server.
    window.addEventListener("pagehide", function () { events.close(); });
    events.addEventListener("notice", function (e) {
      var box = document.createElement("div");
      box.className = "toast";
      box.setAttribute("role", "status");
      box.textContent = JSON.parse(e.data).text;
      document.body.appendChild(box);
      setTimeout(function () { box.remove(); }, 6000);
      showStale();
    });
  }
  function setCount(which, n) {
    document.querySelectorAll("[data-bell=" + which + "]").forEach(function (el) {
      if (el.textContent === String(n)) return;
      el.textContent = n;
      el.classList.toggle("zero", n === 0);
      el.parentElement.classList.toggle("zero", n === 0);
      el.parentElement.classList.add("pulse");
      setTimeout(function () { el.parentElement.classList.remove("pulse"); }, 1500);
    });
  }
  function showStale() {
    if (stale) stale.hidden = false;
  }

  // A thread's row opens its conversation.
  document.querySelectorAll("tr[data-href]").forEach(function (row) {
    row.addEventListener("click", function (e) {
      if (e.target.closest("a, button, input, label, select, textarea, summary")) return;
      // Selecting text in the row is not a click on it.
      var selection = window.getSelection();
      if (selection && !selection.isCollapsed && row.contains(selection.anchorNode)) return;
      var href = row.dataset.href;
      if (e.ctrlKey || e.metaKey || e.shiftKey) {
        window.open(href, "_blank", "noopener");
      } else {
        window.location.assign(href);
      }
    });
  });

  document.querySelectorAll("[data-select-all]").forEach(function (all) {
    all.addEventListener("change", function () {
      all.form.querySelectorAll("input[name=order]").forEach(function (box) { box.checked = all.checked; });
    });
  });
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
})();
