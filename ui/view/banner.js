// The status/error banner (#banner). Several conditions can be active at once (say
// "reconnecting" and "media-denied"); the most recent one shows, and clearing it reveals the
// previous. `data-code` carries the protocol error code or one of reconnecting, closing,
// no-webrtc, media-denied, so tests and people read the same thing.

import { byId } from './dom.js';

/** @typedef {'error'|'warn'|'info'} Level */
/** @typedef {{code: string, text: string, level: Level, action?: {label: string, run: () => void}, sticky: boolean}} Entry */

export class Banner {
  constructor() {
    this.root = byId('banner');
    this.text = byId('banner-text');
    this.action = /** @type {HTMLButtonElement} */ (byId('banner-action'));
    this.close = byId('banner-close');
    /** @type {Entry[]} */
    this.entries = [];
    this.close.addEventListener('click', () => {
      const top = this.entries[this.entries.length - 1];
      if (top) this.clear(top.code);
    });
    this.action.addEventListener('click', () => {
      const top = this.entries[this.entries.length - 1];
      if (top && top.action) top.action.run();
    });
  }

  /**
   * Show (or replace) the message for `code`.
   * @param {string} code
   * @param {string} text
   * @param {{level?: Level, action?: {label: string, run: () => void}, sticky?: boolean}} [opts]
   */
  set(code, text, opts = {}) {
    this.entries = this.entries.filter((e) => e.code !== code);
    this.entries.push({ code, text, level: opts.level || 'warn', action: opts.action, sticky: !!opts.sticky });
    this._render();
  }

  /** @param {string} code */
  clear(code) {
    const n = this.entries.length;
    this.entries = this.entries.filter((e) => e.code !== code);
    if (this.entries.length !== n) this._render();
  }

  /** @param {string} code */
  has(code) {
    return this.entries.some((e) => e.code === code);
  }

  _render() {
    const top = this.entries[this.entries.length - 1];
    if (!top) {
      this.root.hidden = true;
      delete this.root.dataset.code;
      this.text.textContent = '';
      return;
    }
    this.root.hidden = false;
    this.root.dataset.code = top.code;
    this.root.dataset.level = top.level;
    this.text.textContent = top.text;
    this.action.hidden = !top.action;
    this.action.textContent = top.action ? top.action.label : '';
    this.close.hidden = top.sticky;
  }
}
