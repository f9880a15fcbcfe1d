// The people panel (#people): everyone in the room with their microphone, camera, raised hand
// and connection, raised hands first in the order the host stamped, then me, then by name.
// DOM of #people only.
//
// A row is `li.person[data-peer-id]` with data-audio / data-video ("on"|"off"), data-hand
// (the raise number, absent when down), data-state, data-moderator ("true" with a badge), and
// an empty `.person-actions` slot that other features fill (moderation, verification) through
// `slot(id)` / `onRow(fn)`; rows are kept (updated and moved, never rebuilt), so what they put
// there stays. Above the list, `section` (#people-control) is an empty element another
// feature fills with its own tools (room control's moderator section); the panel hides it
// while it is empty.

import { byId, el, icon } from './dom.js';
import { onLanguage, t } from '../i18n.js';

/**
 * @typedef {object} Person
 * @property {string} id
 * @property {string} name
 * @property {boolean} local
 * @property {boolean} audio
 * @property {boolean} video
 * @property {number|null} hand
 * @property {boolean} [moderator]
 * @property {string} state connecting|connected|reconnecting|failed|presence
 */

/**
 * Raised hands first (in raise order), then me, then everyone else by name.
 * @param {Person[]} people
 */
export function sortPeople(people) {
  return [...people].sort((a, b) => {
    const ha = a.hand ?? Infinity;
    const hb = b.hand ?? Infinity;
    if (ha !== hb) return ha - hb;
    if (a.local !== b.local) return a.local ? -1 : 1;
    return a.name.localeCompare(b.name) || a.id.localeCompare(b.id);
  });
}

export class PeopleView {
  /** @param {{onClose: () => void, onAutoLower: (on: boolean) => void, onRow?: (id: string, slot: HTMLElement) => void}} h */
  constructor(h) {
    this.h = h;
    this.root = byId('people');
    this.list = byId('people-list');
    /** the element above the list that another feature fills (room control) */
    this.section = byId('people-control');
    /** @type {((id: string, slot: HTMLElement) => void)[]} */
    this.rowListeners = h.onRow ? [h.onRow] : [];
    this.autoLower = /** @type {HTMLInputElement} */ (byId('hand-auto-lower'));
    /** @type {Map<string, HTMLElement>} */
    this.rows = new Map();
    /** @type {Person[]} what the rows show, redrawn on a language switch */
    this.shown = [];
    onLanguage(() => this.render(this.shown));
    byId('people-close').addEventListener('click', () => h.onClose());
    this.autoLower.addEventListener('change', () => h.onAutoLower(this.autoLower.checked));
  }

  get open() {
    return !this.root.hidden;
  }

  /** @param {boolean} open */
  setOpen(open) {
    this.root.hidden = !open;
  }

  /** @param {boolean} on the "lower my hand when I speak" setting */
  setAutoLower(on) {
    this.autoLower.checked = on;
  }

  /**
   * Call `fn` with every row's slot, the rows there now and each new one.
   * @param {(id: string, slot: HTMLElement) => void} fn
   */
  onRow(fn) {
    this.rowListeners.push(fn);
    for (const [id, row] of this.rows) fn(id, /** @type {HTMLElement} */ (row.querySelector('.person-actions')));
  }

  /** The moderation / verification slot of `id`'s row. @param {string} id */
  slot(id) {
    return /** @type {HTMLElement|null} */ (this.rows.get(id)?.querySelector('.person-actions') || null);
  }

  /** @param {Person[]} people everyone, me included */
  render(people) {
    this.shown = people;
    const sorted = sortPeople(people);
    const seen = new Set(sorted.map((p) => p.id));
    for (const [id, row] of this.rows) {
      if (!seen.has(id)) {
        row.remove();
        this.rows.delete(id);
      }
    }
    for (const p of sorted) {
      let row = this.rows.get(p.id);
      if (!row) {
        row = el(
          'li',
          { className: 'person', dataset: { peerId: p.id } },
          el('span', { className: 'person-hand' }, icon('hand')),
          el('span', { className: 'person-name' }),
          el('span', { className: 'person-badge' }),
          el('span', { className: 'person-state' }),
          el('span', { className: 'person-media' }, icon('mic', 'p-mic'), icon('mic-off', 'p-mic-off'), icon('cam', 'p-cam'), icon('cam-off', 'p-cam-off')),
          el('span', { className: 'person-actions' }),
        );
        this.rows.set(p.id, row);
        this.list.append(row);
        const slot = /** @type {HTMLElement} */ (row.querySelector('.person-actions'));
        for (const fn of this.rowListeners) fn(p.id, slot);
      }
      this._fill(row, p);
      this.list.append(row); // in order (a move keeps the row and its slot)
    }
  }

  /** @param {HTMLElement} row @param {Person} p */
  _fill(row, p) {
    row.dataset.audio = p.audio ? 'on' : 'off';
    row.dataset.video = p.video ? 'on' : 'off';
    row.dataset.state = p.state;
    row.dataset.moderator = String(!!p.moderator);
    /** @type {HTMLElement} */ (row.querySelector('.person-badge')).textContent = p.moderator ? t('people.moderator') : '';
    row.classList.toggle('local', p.local);
    if (p.hand === null) delete row.dataset.hand;
    else row.dataset.hand = String(p.hand);
    const name = p.local ? t('stage.you', { name: p.name || t('stage.me') }) : p.name || t('stage.someone');
    /** @type {HTMLElement} */ (row.querySelector('.person-name')).textContent = name;
    const state = p.local || p.state === 'connected' ? '' : t(`stage.state.${p.state}`);
    /** @type {HTMLElement} */ (row.querySelector('.person-state')).textContent = state;
    const words = [name];
    if (p.moderator) words.push(t('people.moderator'));
    words.push(t(p.audio ? 'people.micOn' : 'stage.micOff'), t(p.video ? 'people.camOn' : 'stage.camOff'));
    if (p.hand !== null) words.push(t('stage.handUp'));
    if (state) words.push(state);
    row.title = words.join(' · ');
  }
}
