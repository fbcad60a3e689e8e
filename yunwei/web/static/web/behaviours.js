// Small behaviours that used to be on*= attributes (the content security policy runs no inline code):
// a read-only field with data-select-on-click selects its text when clicked (a URL to copy); a form with
// data-confirm asks before it is sent; a select with data-submit-on-change sends its form (the language
// switch); a select with data-fill-from-option fills the form's field it names with the chosen option's
// data-text (the service desk's reply templates).
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    const field = event.target.closest("[data-select-on-click]");
    if (field) field.select();
  });
  document.addEventListener("submit", function (event) {
    const form = event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.dataset.confirm)) event.preventDefault();
  });
  document.addEventListener("change", function (event) {
    const select = event.target;
    if (select.matches("[data-submit-on-change]")) {
      select.form.submit();
      return;
    }
    if (select.matches("[data-fill-from-option]") && select.value) {
      const option = select.options[select.selectedIndex];
      select.form.elements[select.dataset.fillFromOption].value = option.dataset.text;
    }
  });
})();
