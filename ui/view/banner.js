// The status/error banner (#banner). Several conditions can be active at once (say
// "reconnecting" and "media-denied"); the most recent one shows, and clearing it reveals the
// previous. `data-code` carries the protocol error code or one of reconnecting, closing,
// no-webrtc, media-denied, so tests and people read the same thing. A text may be a function
// (looked up again when the language changes). Each new message is also announced to screen
// readers (announce.js), errors urgently.

import { byId } from './dom.js';
import { announce } from './announce.js';
import { onLanguage } from '../i18n.js';

/** @typedef {'error'|'warn'|'info'} Level */
/** @typedef {string | (() => string)} Text */
/** @typedef {{code: string, text: Text, level: Level, action?: {label: Text, run: () => void}, sticky: boolean}} Entry */

/** @param {Text} text */
const say = (text) => (typeof text === 'function' ? text() : text);

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
    onLanguage(() => this._render());
  }

  /**
   * Show (or replace) the message for `code`.
   * @param {string} code
   * @param {Text} text
   * @param {{level?: Level, action?: {label: Text, run: () => void}, sticky?: boolean}} [opts]
   */
  set(code, text, opts = {}) {
    const same = this.entries.find((e) => e.code === code);
    this.entries = this.entries.filter((e) => e.code !== code);
    const level = opts.level || 'warn';
    this.entries.push({ code, text, level, action: opts.action, sticky: !!opts.sticky });
    this._render();
    if (!same || say(same.text) !== say(text)) announce(say(text), { urgent: level === 'error' });
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
    this.text.textContent = say(top.text);
    this.action.hidden = !top.action;
    this.action.textContent = top.action ? say(top.action.label) : '';
    this.close.hidden = top.sticky;
  }
}
