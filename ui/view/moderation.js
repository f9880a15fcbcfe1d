// Room control on screen: the waiting screen of someone at the door (#waiting-room, over the
// pre-join card), and in the meeting's people panel (view/people.js owns the panel and its
// rows) what room control adds there: a moderator section (#moderator-tools, in the panel's
// `section`: who knocks, admit / turn away one or all, the room's switches, mute all / ask all,
// end for all with its sentence; hidden for everyone else), and in each person's
// `.person-actions` slot their verify control and, for moderators, their actions. DOM of these
// elements only.

import { byId, el } from './dom.js';
import { announce } from './announce.js';
import { onLanguage, t } from '../i18n.js';

/** @typedef {import('../protocol.js').PeerInfo} PeerInfo */
/** @typedef {'mute'|'ask-unmute'|'stop-video'|'stop-share'|'remove'|'make-moderator'} Action */

/**
 * @typedef {object} ModerationHandlers
 * @property {() => void} onGiveUp
 * @property {(peer?: string) => void} onAdmit
 * @property {(peer?: string) => void} onTurnAway
 * @property {(action: Action, peer?: string) => void} onAct
 * @property {(change: Partial<import('../protocol.js').RoomSettings>) => void} onSettings
 * @property {(message: string) => void} onEnd
 * @property {(peer: string) => Promise<string|null>} codeOf
 * @property {(peer: string) => void} onConfirm
 * @property {() => void} onOpen open the people panel (a knock, for a moderator)
 */

/**
 * What the people panel lends room control (view/people.js).
 * @typedef {object} PanelParts
 * @property {HTMLElement} section the empty element above the list
 * @property {(fn: (id: string, slot: HTMLElement) => void) => void} onRow every row's slot
 */

/** A heading (relabelled on a language switch, like every text here). @param {string} tag @param {string} key */
function words(tag, key) {
  return el(tag, { textContent: t(key), dataset: { i18n: key } });
}

/** A person's actions, in order, with their words. @type {[Action, string][]} */
const ACTIONS = [['mute', 'control.mute'], ['ask-unmute', 'control.askUnmute'], ['stop-video', 'control.stopVideo'],
  ['stop-share', 'control.stopShare'], ['make-moderator', 'control.makeModerator'], ['remove', 'control.remove']];

/**
 * @param {string} cls
 * @param {string} key
 * @param {() => void} run
 */
function button(cls, key, run) {
  const b = /** @type {HTMLButtonElement} */ (el('button', { type: 'button', className: cls, textContent: t(key), dataset: { i18n: key } }));
  b.addEventListener('click', run);
  return b;
}

export class ModerationView {
  /** @param {ModerationHandlers} h @param {PanelParts} panel */
  constructor(h, panel) {
    this.h = h;
    this.moderator = false;
    /** @type {Map<string, PeerInfo>} everyone else in the room */
    this.people = new Map();
    /** @type {Set<string>} */
    this.verified = new Set();
    /** @type {Map<string, string|null>} the codes shown, by peer (null: not connected yet) */
    this.codes = new Map();
    /** @type {Map<string, HTMLElement>} each row's slot, by peer */
    this.slots = new Map();
    this.roomName = '';
    this.waitText = el('p', { id: 'waiting-text' });
    const giveUp = button('', 'control.giveUp', () => h.onGiveUp());
    giveUp.id = 'waiting-giveup';
    this.wait = el('section', { id: 'waiting-room', className: 'card', hidden: true },
      words('h2', 'control.waitingTitle'), this.waitText, giveUp);
    byId('lobby').append(this.wait);
    onLanguage(() => this.setWaiting(!this.wait.hidden, this.roomName));

    this.knocks = el('ol', { id: 'knocks' });
    this.knockBox = el('section', { id: 'knock-box', hidden: true },
      words('h3', 'control.knocking'), this.knocks,
      el('div', { className: 'row' },
        button('primary admit-all', 'control.admitAll', () => h.onAdmit()),
        button('turn-away-all', 'control.turnAwayAll', () => h.onTurnAway())));
    this.switches = el('div', { id: 'room-switches' });
    this.boxes = {
      waiting_room: this._switch('waiting_room', 'control.waitingRoom'),
      closed: this._switch('closed', 'control.closed'),
      moderators_unmute: this._switch('moderators_unmute', 'control.modsUnmute'),
    };
    const endText = /** @type {HTMLInputElement} */ (el('input', { id: 'end-message', maxLength: 200, placeholder: t('control.endPrompt'),
      attrs: { 'aria-label': t('control.endPrompt'), 'data-i18n-placeholder': 'control.endPrompt', 'data-i18n-aria-label': 'control.endPrompt' } }));
    this.tools = el('section', { id: 'moderator-tools', hidden: true, attrs: { 'aria-label': t('control.tools'), 'data-i18n-aria-label': 'control.tools' } },
      this.knockBox, this.switches,
      el('div', { className: 'row' },
        button('mute-all', 'control.muteAll', () => h.onAct('mute')),
        button('ask-all', 'control.askAll', () => h.onAct('ask-unmute'))),
      el('div', { className: 'row end-row' }, endText,
        button('danger end-all', 'control.endAll', () => h.onEnd(endText.value))));
    panel.section.append(this.tools);
    panel.onRow((id, slot) => {
      this.slots.set(id, slot);
      this._fill(id);
    });
  }

  /**
   * A switch of the room's settings, in #room-switches.
   * @param {keyof import('../protocol.js').RoomSettings} key
   * @param {string} label
   */
  _switch(key, label) {
    const box = /** @type {HTMLInputElement} */ (el('input', { type: 'checkbox', dataset: { setting: key } }));
    box.addEventListener('change', () => this.h.onSettings({ [key]: box.checked }));
    this.switches.append(el('label', {}, box, ' ', words('span', label)));
    return box;
  }

  /**
   * My own wait at the door: shown while waiting, hidden otherwise.
   * @param {boolean} waiting
   * @param {string} roomName
   */
  setWaiting(waiting, roomName) {
    this.wait.hidden = !waiting;
    this.roomName = roomName;
    this.waitText.textContent = t('control.waitingText', { name: roomName || '' });
  }

  /** @param {boolean} on */
  setModerator(on) {
    this.moderator = on;
    this.tools.hidden = !on;
    this._fillAll();
  }

  /** @param {import('../protocol.js').RoomSettings} s */
  setSettings(s) {
    this.boxes.waiting_room.checked = s.waiting_room;
    this.boxes.closed.checked = s.closed;
    this.boxes.moderators_unmute.checked = s.moderators_unmute;
  }

  /**
   * Who waits now; `knocked` are the new ones: announced, and the panel opens for them.
   * @param {PeerInfo[]} peers
   * @param {PeerInfo[]} knocked
   */
  setKnocks(peers, knocked) {
    this.knocks.replaceChildren(...peers.map((p) => el('li', { dataset: { peerId: p.id } },
      el('span', { className: 'name', textContent: p.name }),
      button('primary admit', 'control.admit', () => this.h.onAdmit(p.id)),
      button('turn-away', 'control.turnAway', () => this.h.onTurnAway(p.id)))));
    this.knockBox.hidden = peers.length === 0;
    if (!this.moderator || !knocked.length) return;
    for (const k of knocked) announce(t('control.knock', { name: k.name }));
    this.h.onOpen();
  }

  /** @param {PeerInfo[]} people everyone else in the room */
  setPeople(people) {
    this.people = new Map(people.map((p) => [p.id, p]));
    for (const [id, slot] of this.slots) if (!slot.isConnected) this.slots.delete(id); // its row is gone
    this._fillAll();
  }

  /** @param {string} peer */
  markVerified(peer) {
    this.verified.add(peer);
    this._fill(peer);
  }

  clear() {
    this.people.clear();
    this.verified.clear();
    this.codes.clear();
    this.setKnocks([], []);
    this._fillAll();
  }

  _fillAll() {
    for (const id of this.slots.keys()) this._fill(id);
  }

  /** Put `id`'s verify control and (for a moderator) actions into its row's slot. @param {string} id */
  _fill(id) {
    const slot = this.slots.get(id);
    const p = this.people.get(id);
    if (!slot) return;
    const verified = this.verified.has(id);
    const code = this.codes.get(id);
    // rebuilt only when what it shows changes (a button keeps its focus otherwise)
    const shows = p ? JSON.stringify([verified, this.codes.has(id) ? code : false, this.moderator, !!p.moderator]) : '';
    if (slot.dataset.shows === shows) return;
    slot.dataset.shows = shows;
    if (!p) return slot.replaceChildren(); // my own row
    slot.dataset.verified = String(verified);
    const verify = button('verify', verified ? 'control.verified' : 'control.verify', async () => {
      this.codes.set(id, await this.h.codeOf(id));
      this._fill(id);
    });
    verify.disabled = verified;
    const shown = code === null ? words('code', 'control.noCode') : el('code', { textContent: code || '' });
    shown.className = 'verify-code';
    const parts = [verify, shown];
    if (code && !verified) parts.push(button('confirm', 'control.codesMatch', () => this.h.onConfirm(id)));
    if (this.moderator) {
      // Mute at hand, the rest behind "More"
      const acts = ACTIONS.filter(([action]) => !(action === 'make-moderator' && p.moderator))
        .map(([action, key]) => button(`act ${action}`, key, () => this.h.onAct(action, id)));
      const more = el('details', { className: 'person-more' }, words('summary', 'control.more'), el('div', { className: 'more-list' }, ...acts.slice(1)));
      parts.push(acts[0], more);
    }
    slot.replaceChildren(...parts);
  }
}
