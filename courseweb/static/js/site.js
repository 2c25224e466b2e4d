// Site-wide behaviour that needs no inline script (the Content-Security-Policy allows none, and no eval).
// A polling htmx element (hx-trigger="every …") is not refreshed while the keyboard focus is inside it, so a
// person filling in a form in, e.g., the sign-up board never loses their place.
document.addEventListener("htmx:confirm", function (event) {
  var elt = event.detail && event.detail.elt;
  var active = document.activeElement;
  if (!elt || event.detail.triggeringEvent || !active || active === document.body) return;
  if (elt.contains(active)) event.preventDefault();
});
