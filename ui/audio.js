// The page's one AudioContext, shared by the microphone's level meter, the speaking detector
// and the notice chime. A running AudioContext renders sound all the time, silence too, and
// costs the page CPU for as long as it runs (three of them took about a twentieth of what four
// people's pages used in a call, docs/client.md "Sound"); this one runs only while something
// holds it and is suspended when the last holder lets go. No DOM.

/** @type {AudioContext|null} */
let shared = null;
/** @type {Set<object>} */
const holders = new Set();

/** The page's AudioContext, made on first use; null where the browser has none. */
function context() {
  if (!shared) {
    const AC = globalThis.AudioContext || /** @type {any} */ (globalThis).webkitAudioContext;
    if (!AC) return null;
    shared = /** @type {AudioContext} */ (new AC());
  }
  return shared;
}

/**
 * `who` needs the context running: it is resumed (before a person's first gesture the browser
 * may keep it suspended; see unlockAudio). Null where the browser has no WebAudio.
 * @param {object} who
 */
export function holdAudio(who) {
  const ctx = context();
  if (!ctx) return null;
  holders.add(who);
  if (ctx.state === 'suspended') ctx.resume().catch(() => {});
  return ctx;
}

/**
 * `who` no longer needs the context; the last holder to let go suspends it.
 * @param {object} who
 */
export function releaseAudio(who) {
  if (!holders.delete(who) || holders.size || !shared) return;
  shared.suspend().catch(() => {});
}

/** A person's gesture: a context someone holds may run now. */
export function unlockAudio() {
  if (shared && holders.size && shared.state === 'suspended') shared.resume().catch(() => {});
}
