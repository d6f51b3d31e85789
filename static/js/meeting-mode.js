// Meeting mode keyboard shortcuts. Everything here is also reachable without JavaScript
// (links and forms); this only saves keystrokes for the secretary at the projector.
(function () {
  "use strict";

  var jumpBuffer = "";
  var jumpTimer = null;

  function typing(el) {
    if (!el) return false;
    var tag = el.tagName;
    return tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable ||
      (tag === "INPUT" && !/^(radio|checkbox|button|submit)$/.test(el.type));
  }

  function go(selector) {
    var link = document.querySelector(selector);
    if (link) window.location.href = link.href;
  }

  function say(text) {
    var status = document.getElementById("jump-status");
    if (status) status.textContent = text;
  }

  function jump(number) {
    var link = document.querySelector('#agenda-nav a[data-number="' + number + '"]');
    if (link) {
      window.location.href = link.href;
    } else {
      say("Sak " + number + " finnes ikke på sakslisten.");
    }
  }

  function toggleFullscreen() {
    if (!document.fullscreenEnabled) return;
    if (document.fullscreenElement) {
      document.exitFullscreen();
    } else {
      document.documentElement.requestFullscreen();
    }
  }

  document.addEventListener("keydown", function (e) {
    var target = e.target;
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      var form = document.getElementById("conclusion-form");
      if (form && target && (form.contains(target) || target.getAttribute("form") === "conclusion-form")) {
        e.preventDefault();
        form.requestSubmit();
      }
      return;
    }
    if (e.key === "Escape" && typing(target)) {
      target.blur();
      document.getElementById("item").focus();
      return;
    }
    if (typing(target) || e.ctrlKey || e.metaKey || e.altKey) return;
    // Arrow keys on a radio button or checkbox change the choice, as they should.
    if (target && target.tagName === "INPUT" && /^(ArrowLeft|ArrowRight|ArrowUp|ArrowDown)$/.test(e.key)) return;

    if (/^[0-9]$/.test(e.key)) {
      jumpBuffer += e.key;
      say("Gå til sak " + jumpBuffer + " – trykk Enter");
      clearTimeout(jumpTimer);
      jumpTimer = setTimeout(function () { jumpBuffer = ""; say(""); }, 3000);
      e.preventDefault();
      return;
    }
    if (e.key === "Enter" && jumpBuffer) {
      e.preventDefault();
      var n = jumpBuffer;
      jumpBuffer = "";
      jump(n);
      return;
    }

    switch (e.key) {
      case "ArrowRight":
      case "PageDown":
      case "n":
        e.preventDefault();
        go("a[rel=next]");
        return;
      case "ArrowLeft":
      case "PageUp":
      case "b":
        e.preventDefault();
        go("a[rel=prev]");
        return;
      case "p":
        e.preventDefault();
        go("#privacy-toggle");
        return;
      case "g":
        e.preventDefault();
        var current = document.querySelector("#agenda-nav a[aria-current]") ||
          document.querySelector("#agenda-nav a");
        if (current) current.focus();
        return;
      case "f":
        e.preventDefault();
        toggleFullscreen();
        return;
    }

    var choice = document.querySelector('#conclusion-form input[data-shortcut="' + e.key + '"]');
    if (choice) {
      e.preventDefault();
      choice.checked = true;
      var field = e.key === "t" ? document.querySelector("#candidates input[type=radio]:checked") ||
        document.querySelector("#candidates input[type=radio]") : document.getElementById("text");
      if (field) field.focus();
    }
  });

  // Leaving the item with half-written text asks first (a choice is quickly made again).
  var dirty = false;
  document.addEventListener("input", function (e) {
    var form = document.getElementById("conclusion-form");
    if (form && e.target && e.target.tagName === "TEXTAREA" && form.contains(e.target)) dirty = true;
  });
  document.addEventListener("submit", function () { dirty = false; });
  window.addEventListener("beforeunload", function (e) {
    if (dirty) {
      e.preventDefault();
      e.returnValue = "";
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("fullscreen");
    if (button && document.fullscreenEnabled) {
      button.hidden = false;
      button.addEventListener("click", toggleFullscreen);
    }
    // Keep the place after saving: the confirmation, else the item, takes focus.
    var saved = document.getElementById("saved");
    var errors = document.querySelector(".ds-error-summary");
    var main = document.getElementById("item");
    if (errors) {
      errors.focus();
    } else if (saved) {
      saved.setAttribute("tabindex", "-1");
      saved.focus();
    } else if (main && !window.location.hash) {
      // Focus for the shortcuts and screen readers, without scrolling the bar away.
      main.focus({ preventScroll: true });
    }
  });
})();
