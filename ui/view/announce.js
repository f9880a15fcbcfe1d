// What a screen reader says without the person moving focus: joins, leaves, chat messages,
// knocks and errors. Two live regions in index.html (`#announce-polite`, `#announce-urgent`,
// visually hidden) that this module alone writes to. Any module calls `announce(text)` (or
// `announce(text, {urgent: true})` for errors that stop what the person was doing); the
// sentence must already be in the person's language (`t()`).

/** Lines kept in a region: older ones go, so the region never grows. */
const KEEP = 5;

/**
 * Say `text` through the live region.
 * @param {string} text
 * @param {{urgent?: boolean}} [opts] urgent: `role="alert"` (interrupts), else polite
 */
export function announce(text, opts = {}) {
  if (!text || typeof document === 'undefined') return;
  const region = document.getElementById(opts.urgent ? 'announce-urgent' : 'announce-polite');
  if (!region) return;
  const line = document.createElement('p');
  line.textContent = text;
  region.append(line);
  while (region.childElementCount > KEEP) region.firstElementChild?.remove();
}

/** Everything announced so far that is still in the regions (for the tests). */
export function announced() {
  return [...document.querySelectorAll('#announce-polite p, #announce-urgent p')].map((p) => p.textContent || '');
}
