// A tiny event emitter shared by the non-DOM modules (signaling, peer, mesh, media, chat, stats).
// Modules talk to each other through these events or through plain callbacks, never through the DOM.

/** @typedef {(...args: any[]) => void} Listener */

export class Emitter {
  constructor() {
    /** @type {Map<string, Set<Listener>>} */
    this._listeners = new Map();
  }

  /**
   * Subscribe; returns a function that unsubscribes.
   * @param {string} type
   * @param {Listener} fn
   * @returns {() => void}
   */
  on(type, fn) {
    let set = this._listeners.get(type);
    if (!set) {
      set = new Set();
      this._listeners.set(type, set);
    }
    set.add(fn);
    return () => this.off(type, fn);
  }

  /**
   * @param {string} type
   * @param {Listener} fn
   */
  off(type, fn) {
    this._listeners.get(type)?.delete(fn);
  }

  /**
   * Call every listener of `type`; a throwing listener is logged and does not stop the others.
   * @param {string} type
   * @param {...any} args
   */
  emit(type, ...args) {
    const set = this._listeners.get(type);
    if (!set) return;
    for (const fn of [...set]) {
      try {
        fn(...args);
      } catch (err) {
        console.error(`moim: listener for "${type}" failed`, err);
      }
    }
  }
}
