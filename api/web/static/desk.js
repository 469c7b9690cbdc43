// Keyboard shortcuts of the review page: the key x clicks the element with data-key="x"
// (a reject without a reason stops at the browser's "required" check, on the reason list).
// Inside a form field the same key needs Alt, so typing never triggers an action.
document.addEventListener("keydown", function (event) {
  if (event.ctrlKey || event.metaKey || event.repeat) return;
  var target = event.target;
  var typing = target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" ||
                          target.tagName === "SELECT");
  if (typing && !event.altKey) return;
  var key = (event.code && event.code.indexOf("Key") === 0)
    ? event.code.slice(3).toLowerCase() : event.key.toLowerCase();
  var element = document.querySelector('[data-key="' + key + '"]');
  if (!element || element.disabled) return;
  event.preventDefault();
  element.click();
});

// "Back" links (data-back) go to the previous page when there is one; without script
// or history they stay a plain link to their href.
document.addEventListener("click", function (event) {
  var link = event.target.closest && event.target.closest("a[data-back]");
  if (!link || window.history.length < 2) return;
  event.preventDefault();
  window.history.back();
});
