// The pre-join card's knowledge of its room (#prejoin-room, #prejoin-status, #prejoin-people,
// and whether #prejoin-btn can be pressed), from the host's `room-status` push, and the "You
// left" card (#left-card) with its Rejoin button. DOM only: the handlers given to the
// constructor say what the person pressed.

import { byId, el } from './dom.js';
import { t } from '../i18n.js';

/** @typedef {import('../protocol.js').RoomStatus} RoomStatus */
/**
 * What the page knows of the room: still asking, a link that is no room id, or the host's word.
 * @typedef {{state: 'loading'}|{state: 'malformed'}|{state: 'status', status: RoomStatus}} Known
 */

/**
 * The state a room status puts the pre-join page in (`#prejoin-status[data-state]`).
 * @param {Known} known
 * @returns {'loading'|'malformed'|'gone'|'locked'|'full'|'open'}
 */
export function prejoinState(known) {
  if (known.state !== 'status') return known.state;
  const s = known.status;
  if (s.gone) return 'gone';
  if (s.locked) return 'locked';
  if (s.full) return 'full';
  return 'open';
}

/**
 * The sentence for a room status.
 * @param {Known} known
 */
export function prejoinSentence(known) {
  const state = prejoinState(known);
  if (known.state !== 'status') return t(`first.prejoin.${state}`);
  const s = known.status;
  switch (state) {
    case 'gone':
      return t('first.prejoin.gone');
    case 'locked':
      return t('first.prejoin.locked');
    case 'full':
      return t('first.prejoin.full', { count: s.count, capacity: s.capacity });
    default: {
      const who =
        s.count === 0
          ? t('first.prejoin.nobody')
          : s.peers.length
            ? t('first.prejoin.here', { count: s.peers.length, names: s.peers.join(', ') })
            : t('first.prejoin.people', { count: s.count });
      const words = [who];
      if (s.passcode) words.push(t('first.prejoin.passcode'));
      if (s.waiting_room) words.push(t('first.prejoin.waitingRoom'));
      return words.join(' ');
    }
  }
}

export class PrejoinView {
  /** @param {{onRejoin: () => void, onDismissLeft: () => void}} h */
  constructor(h) {
    this.title = byId('prejoin-room');
    this.status = byId('prejoin-status');
    this.people = byId('prejoin-people');
    this.btn = /** @type {HTMLButtonElement} */ (byId('prejoin-btn'));
    this.left = byId('left-card');
    this.leftText = byId('left-text');
    /** @type {Known} */
    this.known = { state: 'loading' };
    this.busy = false;
    byId('rejoin-btn').addEventListener('click', () => h.onRejoin());
    byId('left-dismiss').addEventListener('click', () => h.onDismissLeft());
  }

  /**
   * A new pre-join page: its room id and the name the directory knows (if any).
   * @param {string} roomId
   * @param {Known} known
   * @param {string} [name]
   */
  open(roomId, known, name) {
    byId('prejoin-id').textContent = roomId;
    this.name = name || '';
    this.show(known);
  }

  /** @param {Known} known */
  show(known) {
    this.known = known;
    const state = prejoinState(known);
    const name = known.state === 'status' && known.status.name ? known.status.name : this.name;
    this.title.textContent = name ? `“${name}”` : t('first.prejoin.meeting');
    this.status.textContent = prejoinSentence(known);
    this.status.dataset.state = state;
    const names = known.state === 'status' && !known.status.gone ? known.status.peers : [];
    this.people.replaceChildren(...names.map((n) => el('li', { textContent: n })));
    this.people.hidden = names.length === 0;
    this._button();
  }

  /** Whether the room can be joined from what the page knows. */
  get blocked() {
    return ['malformed', 'gone', 'locked', 'full'].includes(prejoinState(this.known));
  }

  /** @param {boolean} busy a join is under way */
  setBusy(busy) {
    this.busy = busy;
    this._button();
  }

  _button() {
    this.btn.disabled = this.busy || this.blocked;
    this.btn.textContent = prejoinState(this.known) === 'full' ? t('first.prejoin.waiting') : t('first.prejoin.join');
  }

  /**
   * The "You left" card (null hides it).
   * @param {{name: string}|null} left the meeting just left
   */
  showLeft(left) {
    this.left.hidden = !left;
    this.leftText.textContent = left ? t('first.left.text', { name: left.name }) : '';
  }
}
