// Progressive enhancement on every page of the application layout. Without JavaScript
// every form still works as before and the server remains the guard; this only moves
// focus and asks before weighty actions.
//
// 1. A page re-rendered with refused input focuses its error summary, which scrolls it into
//    view (without JavaScript the page opens at the top), or else the confirmation of a
//    save (`[data-saved]`), so both are in view and read out.
// 2. A form marked `data-confirm="Question?"` asks first in a native <dialog>
//    (Designsystemet `.ds-dialog`): `data-confirm-detail` is the text under the question,
//    `data-confirm-fields` names fields (comma separated ids) whose values the dialog
//    repeats (an offer's answer deadline), and the confirming button says what the
//    form's own button says.
(function () {
  "use strict";

  function focusInView(keepScroll) {
    var errors = document.querySelector(".ds-error-summary");
    if (errors) {
      errors.setAttribute("tabindex", "-1");
      errors.focus({ preventScroll: !!keepScroll });
      return;
    }
    var saved = document.querySelector("[data-saved]");
    if (saved) {
      saved.setAttribute("tabindex", "-1");
      saved.focus({ preventScroll: !!keepScroll });
      var r = saved.getBoundingClientRect();
      if (!keepScroll && (r.top < 0 || r.bottom > window.innerHeight)) {
        saved.scrollIntoView({ block: "center" });
      }
    }
  }

  var dialog = null;
  var pending = null;

  function buildDialog() {
    dialog = document.createElement("dialog");
    dialog.className = "ds-dialog bosak-confirm";
    dialog.id = "bekreft-dialog";
    dialog.setAttribute("aria-labelledby", "bekreft-tittel");
    dialog.setAttribute("aria-describedby", "bekreft-tekst");
    dialog.innerHTML =
      '<h2 class="ds-heading" data-size="sm" id="bekreft-tittel"></h2>' +
      '<div id="bekreft-tekst"><p class="ds-paragraph" id="bekreft-detalj"></p>' +
      '<dl class="bosak-facts" id="bekreft-felter"></dl></div>' +
      '<div class="bosak-form__actions">' +
      '<button type="button" class="ds-button" id="bekreft-ja"></button>' +
      '<button type="button" class="ds-button" data-variant="secondary" id="bekreft-nei">Avbryt</button>' +
      "</div>";
    document.body.appendChild(dialog);
    dialog.querySelector("#bekreft-nei").addEventListener("click", function () {
      pending = null;
      dialog.close();
    });
    dialog.addEventListener("close", function () {
      pending = null;
    });
    dialog.querySelector("#bekreft-ja").addEventListener("click", function () {
      var p = pending;
      pending = null;
      dialog.close();
      if (!p) return;
      p.form.dataset.confirmed = "1";
      if (p.submitter && p.form.requestSubmit) {
        p.form.requestSubmit(p.submitter);
      } else if (p.form.requestSubmit) {
        p.form.requestSubmit();
      } else {
        p.form.submit();
      }
    });
  }

  function labelOf(field) {
    var label = field.id ? document.querySelector('label[for="' + field.id + '"]') : null;
    return label ? label.textContent.trim() : field.name;
  }

  function ask(form, submitter) {
    if (!dialog) buildDialog();
    pending = { form: form, submitter: submitter };
    dialog.querySelector("#bekreft-tittel").textContent = form.dataset.confirm;
    var detail = dialog.querySelector("#bekreft-detalj");
    detail.textContent = form.dataset.confirmDetail || "";
    detail.hidden = !form.dataset.confirmDetail;
    var facts = dialog.querySelector("#bekreft-felter");
    facts.textContent = "";
    (form.dataset.confirmFields || "").split(",").forEach(function (id) {
      var field = id && document.getElementById(id.trim());
      if (!field) return;
      var dt = document.createElement("dt");
      dt.textContent = labelOf(field);
      var dd = document.createElement("dd");
      dd.textContent = field.value || "–";
      facts.appendChild(dt);
      facts.appendChild(dd);
    });
    facts.hidden = !facts.firstChild;
    var yes = dialog.querySelector("#bekreft-ja");
    yes.textContent = (submitter && submitter.textContent.trim()) || "Bekreft";
    yes.setAttribute("data-color", submitter && submitter.getAttribute("data-color") === "danger" ? "danger" : "accent");
    dialog.showModal();
    yes.focus();
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.confirm) return;
    if (form.dataset.confirmed === "1") {
      delete form.dataset.confirmed;
      return;
    }
    if (typeof HTMLDialogElement === "undefined") return;
    event.preventDefault();
    ask(form, event.submitter || form.querySelector("button[type=submit]"));
  });

  // A link to a form behind a disclosure (the case page's "Neste steg") opens it.
  function openTarget() {
    var id = decodeURIComponent(window.location.hash.slice(1));
    var target = id && document.getElementById(id);
    for (var el = target; el; el = el.parentElement) {
      if (el.tagName === "DETAILS") el.open = true;
    }
  }
  window.addEventListener("hashchange", openTarget);

  document.addEventListener("DOMContentLoaded", function () {
    openTarget();
    focusInView();
  });
  // Scrolling to the address's fragment after loading moves focus back to the page:
  // put it back on the summary or confirmation, without losing the scrolled-to place.
  window.addEventListener("load", function () {
    setTimeout(function () {
      if (document.activeElement === document.body) focusInView(true);
    }, 0);
  });
})();
