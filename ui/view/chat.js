// The chat panel (#chat): the log, the input, the toggle with its unread badge. DOM only.
// The panel starts closed; messages that arrive while it is closed count in #unread. Messages
// from others are announced to screen readers (announce.js); times are in the person's locale.

import { byId, el } from './dom.js';
import { announce } from './announce.js';
import { formatDate, onLanguage, t } from '../i18n.js';

/** @typedef {import('../chat.js').ChatMessage} ChatMessage */

/**
 * "14:05" ("오후 2:05") for today, "3 Mar, 14:05" ("3월 3일 오후 2:05") for older messages, in
 * the language in use.
 * @param {number} time ms since epoch
 */
export function formatTime(time) {
  const d = new Date(time);
  const today = new Date();
  if (d.toDateString() === today.toDateString()) return formatDate(d, { hour: 'numeric', minute: '2-digit' });
  return formatDate(d, { day: 'numeric', month: 'short', hour: 'numeric', minute: '2-digit' });
}

export class ChatView {
  /** @param {{onSend: (text: string) => void}} h */
  constructor(h) {
    this.panel = byId('chat');
    this.log = byId('chat-log');
    this.input = /** @type {HTMLInputElement} */ (byId('chat-input'));
    this.toggle = /** @type {HTMLButtonElement} */ (byId('chat-toggle'));
    this.unreadBadge = byId('unread');
    this.unreadBadge.setAttribute('aria-hidden', 'true');
    this.unreadSaid = el('span', { className: 'sr-only', id: 'unread-said' });
    this.toggle.append(this.unreadSaid);
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
    this.enabled = true;
    this._relabel();
    onLanguage(() => this._relabel());
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
    this.enabled = enabled;
    this.toggle.disabled = !enabled;
    this._relabel();
    if (!enabled) this.setOpen(false);
  }

  /** The panel's words, the toggle's, and the times shown, in the language in use. */
  _relabel() {
    this.panel.setAttribute('aria-label', t('chat.title'));
    const heading = this.panel.querySelector('header h2');
    if (heading) heading.textContent = t('chat.title');
    byId('chat-close').setAttribute('aria-label', t('chat.close'));
    this.input.placeholder = t('chat.placeholder');
    this.input.setAttribute('aria-label', t('chat.placeholder'));
    byId('chat-send').textContent = t('chat.send');
    const label = this.toggle.querySelector('span:not(.sr-only)');
    if (label) label.textContent = t('chat.title');
    this.toggle.title = this.enabled ? t('chat.title') : t('chat.noWebRTC');
    this._setUnread(this.unread);
    for (const time of this.log.querySelectorAll('time')) {
      time.textContent = formatTime(Date.parse(/** @type {HTMLTimeElement} */ (time).dateTime));
    }
    for (const from of this.log.querySelectorAll('.msg.mine .from')) {
      from.textContent = t('chat.you', { name: /** @type {HTMLElement} */ (from).dataset.name || '' });
    }
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
        el('span', { className: 'from', textContent: mine ? t('chat.you', { name: msg.name }) : msg.name, dataset: { name: msg.name } }),
        el('time', { className: 'time', textContent: formatTime(msg.time), dateTime: new Date(msg.time).toISOString() }),
      ),
      el('div', { className: 'text', textContent: msg.text }),
    );
    this.addEntry(item, mine);
    // a message said now, not the history a late joiner is handed
    if (!mine && Math.abs(Date.now() - msg.time) < 60_000) announce(t('chat.announce', { name: msg.name, text: msg.text }));
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
    // the toggle's name stays its visible label, then what the badge's number means (the
    // badge itself is hidden from screen readers, its sentence read instead)
    this.unreadBadge.title = n ? t('chat.unread', { count: n }) : '';
    this.unreadSaid.textContent = this.unreadBadge.title;
  }
}
