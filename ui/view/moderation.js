// Room control on screen: the waiting screen of someone at the door (#waiting-room, over the
// pre-join card), and in the meeting a people panel (#moderation): who knocks (admit, turn
// away, one or all), the room's switches, and per person a verify control and, for
// moderators, their actions. DOM only; it owns these elements and nothing else. Each person
// row has its actions in `.person-actions`, so they can move into the people panel later.

import { byId, el } from './dom.js';
import { t } from '../i18n.js';

/** @typedef {import('../protocol.js').PeerInfo} PeerInfo */

/**
 * @typedef {object} ModerationHandlers
 * @property {() => void} onGiveUp
 * @property {(peer?: string) => void} onAdmit
 * @property {(peer?: string) => void} onTurnAway
 * @property {(action: 'mute'|'ask-unmute'|'stop-video'|'stop-share'|'remove'|'make-moderator', peer?: string) => void} onAct
 * @property {(change: Partial<import('../protocol.js').RoomSettings>) => void} onSettings
 * @property {(message: string) => void} onEnd
 * @property {(peer: string) => Promise<string|null>} codeOf
 * @property {(peer: string) => void} onConfirm
 */

/**
 * @param {string} cls
 * @param {string} key
 * @param {() => void} run
 */
function button(cls, key, run) {
  const b = /** @type {HTMLButtonElement} */ (el('button', { type: 'button', className: cls, textContent: t(key) }));
  b.addEventListener('click', run);
  return b;
}

export class ModerationView {
  /** @param {ModerationHandlers} h */
  constructor(h) {
    this.h = h;
    this.moderator = false;
    /** @type {Map<string, PeerInfo>} */
    this.people = new Map();
    /** @type {Set<string>} */
    this.verified = new Set();
    this.waitText = el('p', { id: 'waiting-text' });
    this.wait = el('section', { id: 'waiting-room', className: 'card', hidden: true },
      el('h2', { textContent: t('control.waitingTitle') }), this.waitText,
      button('', 'control.giveUp', () => h.onGiveUp()));
    this.wait.querySelector('button')?.setAttribute('id', 'waiting-giveup');
    byId('lobby').append(this.wait);

    this.knocks = el('ol', { id: 'knocks' });
    this.knockBox = el('section', { id: 'knock-box', hidden: true },
      el('h3', { textContent: t('control.knocking') }), this.knocks,
      el('div', { className: 'row' },
        button('primary', 'control.admitAll', () => h.onAdmit()),
        button('', 'control.turnAwayAll', () => h.onTurnAway())));
    this.switches = el('section', { id: 'room-switches', hidden: true });
    this.boxes = {
      waiting_room: this._switch('waiting_room', 'control.waitingRoom'),
      closed: this._switch('closed', 'control.closed'),
      moderators_unmute: this._switch('moderators_unmute', 'control.modsUnmute'),
    };
    this.endText = /** @type {HTMLInputElement} */ (el('input', { id: 'end-message', maxLength: 200, placeholder: t('control.endPrompt') }));
    this.switches.append(
      this.endText,
      el('div', { className: 'row' },
        button('', 'control.muteAll', () => h.onAct('mute')),
        button('', 'control.askAll', () => h.onAct('ask-unmute')),
        button('danger', 'control.endAll', () => this._end())));
    this.list = el('ul', { id: 'people-list' });
    this.panel = el('aside', { id: 'moderation', hidden: true, attrs: { 'aria-label': t('control.people') } },
      el('h2', { textContent: t('control.people') }), this.knockBox, this.switches, this.list);
    this.toggle = el('button', { type: 'button', id: 'people-btn', className: 'ctl', textContent: t('control.people') });
    this.toggle.addEventListener('click', () => this.open(this.panel.hidden));
    byId('meeting').append(this.toggle, this.panel);
  }

  /**
   * @param {keyof import('../protocol.js').RoomSettings} key
   * @param {string} label
   */
  _switch(key, label) {
    const box = /** @type {HTMLInputElement} */ (el('input', { type: 'checkbox', dataset: { setting: key } }));
    box.addEventListener('change', () => this.h.onSettings({ [key]: box.checked }));
    this.switches.append(el('label', {}, box, ` ${t(label)}`));
    return box;
  }

  _end() {
    this.h.onEnd(this.endText.value);
  }

  /** @param {boolean} open */
  open(open) {
    this.panel.hidden = !open;
    this.toggle.setAttribute('aria-expanded', String(open));
  }

  /**
   * My own wait at the door: shown while waiting, hidden otherwise.
   * @param {boolean} waiting
   * @param {string} roomName
   */
  setWaiting(waiting, roomName) {
    this.wait.hidden = !waiting;
    this.waitText.textContent = t('control.waitingText', { name: roomName || '' });
  }

  /** @param {boolean} on */
  setModerator(on) {
    this.moderator = on;
    this.panel.dataset.moderator = String(on);
    this.switches.hidden = !on;
    if (!on) this.knockBox.hidden = true;
    this._render();
  }

  /** @param {import('../protocol.js').RoomSettings} s */
  setSettings(s) {
    this.boxes.waiting_room.checked = s.waiting_room;
    this.boxes.closed.checked = s.closed;
    this.boxes.moderators_unmute.checked = s.moderators_unmute;
  }

  /** @param {PeerInfo[]} peers who waits now */
  setKnocks(peers) {
    this.knocks.replaceChildren(...peers.map((p) => el('li', { dataset: { peerId: p.id } },
      el('span', { className: 'name', textContent: p.name }),
      button('primary admit', 'control.admit', () => this.h.onAdmit(p.id)),
      button('turn-away', 'control.turnAway', () => this.h.onTurnAway(p.id)))));
    this.knockBox.hidden = !this.moderator || peers.length === 0;
    if (peers.length && this.moderator) this.open(true);
  }

  /** @param {PeerInfo[]} people everyone else in the room */
  setPeople(people) {
    this.people = new Map(people.map((p) => [p.id, p]));
    this._render();
  }

  /** @param {string} peer */
  markVerified(peer) {
    this.verified.add(peer);
    this._render();
  }

  clear() {
    this.people.clear();
    this.verified.clear();
    this.setKnocks([]);
    this.open(false);
    this._render();
  }

  _render() {
    this.list.replaceChildren(...[...this.people.values()].map((p) => this._row(p)));
  }

  /** @param {PeerInfo} p */
  _row(p) {
    const verified = this.verified.has(p.id);
    const code = el('code', { className: 'verify-code' });
    const actions = el('div', { className: 'person-actions' });
    const verify = button('verify', verified ? 'control.verified' : 'control.verify', async () => {
      code.textContent = (await this.h.codeOf(p.id)) || t('control.noCode');
      if (!verified && !actions.querySelector('.confirm')) {
        actions.append(button('confirm', 'control.codesMatch', () => this.h.onConfirm(p.id)));
      }
    });
    verify.disabled = verified;
    actions.append(verify, code);
    if (this.moderator) {
      /** @type {[('mute'|'ask-unmute'|'stop-video'|'stop-share'|'make-moderator'|'remove'), string][]} */
      const acts = [['mute', 'control.mute'], ['ask-unmute', 'control.askUnmute'], ['stop-video', 'control.stopVideo'],
        ['stop-share', 'control.stopShare'], ['make-moderator', 'control.makeModerator'], ['remove', 'control.remove']];
      for (const [action, key] of acts) {
        if (action === 'make-moderator' && p.moderator) continue;
        actions.append(button(`act ${action}`, key, () => this.h.onAct(action, p.id)));
      }
    }
    return el('li', { dataset: { peerId: p.id, moderator: String(!!p.moderator), verified: String(verified), audio: p.audio ? 'on' : 'off' } },
      el('span', { className: 'name', textContent: p.name }),
      p.moderator ? el('span', { className: 'badge', textContent: t('control.moderatorBadge') }) : null,
      actions);
  }
}
