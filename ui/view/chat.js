// The chat panel (#chat): the log, the input, the toggle with its unread badge. DOM only.
// The panel starts closed; messages that arrive while it is closed count in #unread.

import { byId, el } from './dom.js';

/** @typedef {import('../chat.js').ChatMessage} ChatMessage */

/**
 * "14:05" for today, "3 Mar 14:05" for older messages.
 * @param {number} time ms since epoch
 */
export function formatTime(time) {
  const d = new Date(time);
  const hm = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  const today = new Date();
  if (d.toDateString() === today.toDateString()) return hm;
  return `${d.toLocaleDateString([], { day: 'numeric', month: 'short' })} ${hm}`;
}

export class ChatView {
  /** @param {{onSend: (text: string) => void}} h */
  constructor(h) {
    this.panel = byId('chat');
    this.log = byId('chat-log');
    this.input = /** @type {HTMLInputElement} */ (byId('chat-input'));
    this.toggle = /** @type {HTMLButtonElement} */ (byId('chat-toggle'));
    this.unreadBadge = byId('unread');
    this.unread = 0;
    this.toggle.addEventListener('click', () => this.setOpen(this.panel.hidden));
    byId('chat-close').addEventListener('click', () => this.setOpen(false));
    byId('chat-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      const text = this.input.value;
      if (!text.trim()) return;
      h.onSend(text);
      this.input.value = '';
      this.input.focus();
    });
  }

  get open() {
    return !this.panel.hidden;
  }

  /** @param {boolean} open */
  setOpen(open) {
    this.panel.hidden = !open;
    this.toggle.setAttribute('aria-expanded', String(open));
    if (open) {
      this._setUnread(0);
      this.log.scrollTop = this.log.scrollHeight;
      this.input.focus();
    }
    window.dispatchEvent(new Event('resize'));
  }

  /** @param {boolean} enabled false in a browser without WebRTC (no channels to chat over) */
  setEnabled(enabled) {
    this.toggle.disabled = !enabled;
    this.toggle.title = enabled ? 'Chat' : 'Chat needs WebRTC, which this browser lacks';
    if (!enabled) this.setOpen(false);
  }

  /** Empty the log (left the room). */
  clear() {
    this.log.replaceChildren();
    this._setUnread(0);
    this.setOpen(false);
  }

  /**
   * Insert a message in time order.
   * @param {ChatMessage} msg
   * @param {boolean} mine
   */
  add(msg, mine) {
    const item = el(
      'li',
      { className: mine ? 'msg mine' : 'msg', dataset: { id: msg.id, time: String(msg.time) } },
      el(
        'div',
        { className: 'meta' },
        el('span', { className: 'from', textContent: mine ? `${msg.name} (you)` : msg.name }),
        el('time', { className: 'time', textContent: formatTime(msg.time), dateTime: new Date(msg.time).toISOString() }),
      ),
      el('div', { className: 'text', textContent: msg.text }),
    );
    this.addEntry(item, mine);
  }

  /**
   * Insert an entry of the timeline in time order: a message, a file transfer or a recording
   * (view/files.js builds those and keeps them up to date). `item.dataset.time` is its time.
   * @param {HTMLElement} item
   * @param {boolean} mine
   */
  addEntry(item, mine) {
    const time = Number(item.dataset.time);
    const atBottom = this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 40;
    let before = null;
    for (let c = this.log.lastElementChild; c; c = c.previousElementSibling) {
      if (Number(/** @type {HTMLElement} */ (c).dataset.time) <= time) break;
      before = c;
    }
    this.log.insertBefore(item, before);
    if (atBottom || mine) this.log.scrollTop = this.log.scrollHeight;
    if (!mine && !this.open) this._setUnread(this.unread + 1);
  }

  /** @param {number} n */
  _setUnread(n) {
    this.unread = n;
    this.unreadBadge.textContent = String(n);
    this.unreadBadge.hidden = n === 0;
    this.toggle.setAttribute('aria-label', n ? `Chat, ${n} unread` : 'Chat');
  }
}
