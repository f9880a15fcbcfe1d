// The lobby (#lobby): one first step ("New meeting", which works with the suggested names),
// joining by code or link, one "Meetings near you" list (this computer's meetings, then each
// other moim computer of the network with its own, every meeting once), and the "Camera and
// sound" card (preview only when the person asks, the boxes with the reason a device is
// missing, the pickers, the speaker and the microphone level). The pre-join card and the "You
// left" card are view/prejoin.js. DOM only: what it learns goes out through the handlers given
// to the constructor; the directory comes in whole from the host's `hosts` feed.

import { byId, el, icon, play } from './dom.js';
import { initials } from '../room-id.js';
import { t } from '../i18n.js';

/**
 * @typedef {import('../protocol.js').RoomInfo} RoomInfo
 * @typedef {import('../protocol.js').LanHost} HostInfo
 * @typedef {{deviceId: string, label: string}} Device
 */

/**
 * @typedef {object} LobbyHandlers
 * @property {(name: string) => void} onName the name as typed (every keystroke)
 * @property {(name: string) => void} [onNameDone] the name, once the person is done typing it
 * @property {(kind: 'audio'|'video', want: {audio: boolean, video: boolean}) => void} onUse the
 *   lobby's camera / microphone boxes changed (`kind`); `want` is both boxes now
 * @property {(kind: 'audio'|'video', deviceId: string) => void} onDevice
 * @property {(req: {name: string, passcode: string, listed: boolean, large: boolean}) => void} onCreate
 * @property {(input: string, passcode: string) => void} onJoinInput
 * @property {(room: RoomInfo, passcode: string) => void} onJoinRoom a meeting of this host, with
 *   the passcode typed in the join form (for a locked one)
 * @property {(host: HostInfo, room: RoomInfo) => void} onJoinHostRoom
 * @property {() => void} onPrejoin
 * @property {() => void} [onPreview] the person asked to see the camera and hear the microphone
 * @property {(deviceId: string) => void} [onSpeaker] another speaker picked
 * @property {(on: boolean) => void} [onSound] the join / leave sound turned on or off
 */

export class LobbyView {
  /** @param {LobbyHandlers} h */
  constructor(h) {
    this.h = h;
    this.root = byId('lobby');
    this.name = /** @type {HTMLInputElement} */ (byId('name'));
    this.nameField = /** @type {HTMLElement} */ (this.name.closest('label'));
    this.start = byId('start');
    this.createForm = byId('create-form');
    this.createName = /** @type {HTMLInputElement} */ (byId('create-name'));
    this.preview = /** @type {HTMLVideoElement} */ (byId('preview'));
    this.previewPlaceholder = byId('preview-placeholder');
    this.previewBtn = /** @type {HTMLButtonElement} */ (byId('preview-btn'));
    this.useCam = /** @type {HTMLInputElement} */ (byId('use-cam'));
    this.useMic = /** @type {HTMLInputElement} */ (byId('use-mic'));
    this.camSelect = /** @type {HTMLSelectElement} */ (byId('cam-select'));
    this.micSelect = /** @type {HTMLSelectElement} */ (byId('mic-select'));
    this.speakerSelect = /** @type {HTMLSelectElement} */ (byId('speaker-select'));
    this.meter = byId('mic-meter');
    this.sound = /** @type {HTMLInputElement} */ (byId('notice-sound'));
    this.pickers = byId('device-pickers');
    this.pickersHome = /** @type {HTMLElement} */ (this.pickers.parentElement);
    this.pickersNext = this.pickers.nextElementSibling;
    this.note = byId('media-note');
    this.near = byId('near');
    this.rooms = byId('rooms');
    this.roomsEmpty = byId('rooms-empty');
    this.nearSelf = byId('near-self');
    this.hostsSection = byId('hosts-section');
    this.hosts = byId('hosts');
    this.hostName = byId('host-name');
    this.selfHostName = byId('self-host-name');
    this.prejoin = byId('prejoin');
    this.prejoinBtn = /** @type {HTMLButtonElement} */ (byId('prejoin-btn'));
    this.createBtn = /** @type {HTMLButtonElement} */ (byId('create-btn'));
    this.joinBtn = /** @type {HTMLButtonElement} */ (byId('join-btn'));
    /** @type {string} the meeting name used when none is typed */
    this.suggested = '';
    this.busy = false;
    /** @type {{mdns: boolean, hosts: HostInfo[]}|null} */
    this.directory = null;
    this._wire(h);
  }

  /**
   * More handlers (a controller that comes later: first.js).
   * @param {Partial<LobbyHandlers>} more
   */
  listen(more) {
    Object.assign(this.h, more);
  }

  /** What the camera and microphone boxes ask for now. */
  want() {
    return { audio: this.useMic.checked, video: this.useCam.checked };
  }

  /** @param {boolean} on the join / leave sound */
  setSound(on) {
    this.sound.checked = on;
  }

  /** @param {LobbyHandlers} h */
  _wire(h) {
    this.name.addEventListener('input', () => {
      h.onName(this.name.value.trim());
      this._placeholder();
    });
    this.name.addEventListener('change', () => this.h.onNameDone?.(this.name.value.trim()));
    const want = () => this.want();
    this.useCam.addEventListener('change', () => h.onUse('video', want()));
    this.useMic.addEventListener('change', () => h.onUse('audio', want()));
    this.camSelect.addEventListener('change', () => h.onDevice('video', this.camSelect.value));
    this.micSelect.addEventListener('change', () => h.onDevice('audio', this.micSelect.value));
    this.speakerSelect.addEventListener('change', () => this.h.onSpeaker?.(this.speakerSelect.value));
    this.previewBtn.addEventListener('click', () => this.h.onPreview?.());
    this.sound.addEventListener('change', () => this.h.onSound?.(this.sound.checked));
    this.createForm.addEventListener('submit', (ev) => {
      ev.preventDefault();
      if (!this._nameOk()) return;
      h.onCreate({
        name: this.createName.value.trim() || this.suggested,
        passcode: /** @type {HTMLInputElement} */ (byId('create-passcode')).value,
        listed: /** @type {HTMLInputElement} */ (byId('create-listed')).checked,
        large: /** @type {HTMLInputElement} */ (byId('create-large')).checked,
      });
    });
    byId('join-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      if (!this._nameOk()) return;
      h.onJoinInput(/** @type {HTMLInputElement} */ (byId('join-id')).value, this._passcode());
    });
    this.prejoinBtn.addEventListener('click', () => {
      if (this._nameOk()) h.onPrejoin();
    });
  }

  _passcode() {
    return /** @type {HTMLInputElement} */ (byId('join-passcode')).value;
  }

  /** The name field must be filled before joining. */
  _nameOk() {
    const ok = this.name.value.trim().length > 0;
    if (!ok) {
      this.name.focus();
      this.name.reportValidity();
    }
    return ok;
  }

  /** The full lobby. */
  showLobby() {
    document.title = t('app.name');
    this.root.hidden = false;
    this.root.dataset.screen = 'lobby';
    this.prejoin.hidden = true;
    this.start.hidden = false;
    this.near.hidden = false;
    this.start.insertBefore(this.nameField, this.createForm);
  }

  /**
   * The pre-join screen of one room (view/prejoin.js fills in what it knows of the room).
   * @param {string} roomId
   */
  showPrejoin(roomId) {
    document.title = t('app.name');
    this.root.hidden = false;
    this.root.dataset.screen = 'prejoin';
    this.prejoin.hidden = false;
    this.start.hidden = true;
    this.near.hidden = true;
    this.prejoin.insertBefore(this.nameField, this.prejoinBtn);
    /** @type {HTMLInputElement} */ (byId('join-id')).value = roomId;
  }

  hide() {
    this.root.hidden = true;
  }

  /** Focus the name field (a join needs a name). */
  focusName() {
    this.name.focus();
  }

  /** @param {string} name the host the page talks to, '' when unknown */
  setHostName(name) {
    this.hostName.textContent = name ? t('first.host.on', { name }) : '';
    this.selfHostName.textContent = name ? t('first.near.selfNamed', { name }) : t('first.near.self');
  }

  /** @param {boolean} busy a join or create is under way */
  setBusy(busy) {
    this.busy = busy;
    this.createBtn.disabled = busy;
    this.joinBtn.disabled = busy;
    for (const b of this.root.querySelectorAll('.rooms li:not(.full) button.join')) /** @type {HTMLButtonElement} */ (b).disabled = busy;
  }

  /** @param {string} name */
  setName(name) {
    this.name.value = name;
    this._placeholder();
  }

  /** @param {string} suggestion the meeting name "New meeting" uses when none is typed */
  setSuggestedMeeting(suggestion) {
    this.suggested = suggestion;
    this.createName.placeholder = suggestion;
  }

  /** Empty every field that could hold something secret (after leaving a meeting). */
  clearForms() {
    for (const id of ['create-name', 'create-passcode', 'join-id', 'join-passcode']) {
      /** @type {HTMLInputElement} */ (byId(id)).value = '';
    }
    /** @type {HTMLDetailsElement} */ (byId('create-more')).open = false;
  }

  _placeholder() {
    /** @type {HTMLElement} */ (this.previewPlaceholder.firstElementChild).textContent = initials(this.name.value);
  }

  /**
   * @param {MediaStream} stream
   * @param {boolean} videoOn
   */
  setPreview(stream, videoOn) {
    const live = stream.getTracks().length > 0;
    play(this.preview, live ? stream : null);
    this.previewPlaceholder.hidden = videoOn;
    this.previewBtn.hidden = live;
    this._placeholder();
  }

  /** @param {{audio: boolean, video: boolean}} use */
  setUse(use) {
    this.useCam.checked = use.video;
    this.useMic.checked = use.audio;
  }

  /**
   * Why a device is not in use ('' when it is): shown beside its box, which is ticked only
   * when the person wants the device and nothing stands in the way.
   * @param {{audio: string, video: string}} why
   * @param {{audio: boolean, video: boolean}} want
   */
  setReasons(why, want) {
    byId('cam-why').textContent = why.video;
    byId('mic-why').textContent = why.audio;
    this.useCam.checked = want.video && !why.video;
    this.useMic.checked = want.audio && !why.audio;
  }

  /**
   * @param {{cams: Device[], mics: Device[], speakers?: Device[]}} devices
   * @param {{audio: string, video: string, speaker?: string}} current
   */
  setDevices(devices, current) {
    fill(this.camSelect, devices.cams, current.video, t('first.me.noCamera'));
    fill(this.micSelect, devices.mics, current.audio, t('first.me.noMic'));
    const speakers = devices.speakers || [];
    byId('speaker-field').hidden = speakers.length === 0;
    if (speakers.length) fill(this.speakerSelect, speakers, current.speaker || '', '');
  }

  /** @param {number} level the microphone's loudness now, 0 to 1 */
  setLevel(level) {
    const pct = Math.round(Math.max(0, Math.min(1, level)) * 100);
    this.meter.style.setProperty('--level', `${pct}%`);
    this.meter.setAttribute('aria-valuenow', String(pct));
  }

  /** @param {string} text empty to hide */
  setNote(text) {
    this.note.textContent = text;
    this.note.hidden = !text;
  }

  /**
   * Move the device pickers (and the name field, to rename oneself) into `container` (the
   * meeting's device popover), or back home.
   * @param {HTMLElement|null} container
   */
  movePickers(container) {
    if (container) {
      container.append(this.nameField, this.pickers);
    } else {
      this.pickersHome.insertBefore(this.pickers, this.pickersNext);
      if (this.root.dataset.screen === 'prejoin') this.prejoin.insertBefore(this.nameField, this.prejoinBtn);
      else this.start.insertBefore(this.nameField, this.createForm);
    }
  }

  /** @param {RoomInfo[]} rooms this computer's meetings */
  renderRooms(rooms) {
    this.rooms.replaceChildren(...rooms.map((r) => this._roomItem(r, () => this.h.onJoinRoom(r, r.locked ? this._passcode() : ''))));
    this.nearSelf.hidden = rooms.length === 0;
    this._empty();
  }

  /**
   * The whole LAN directory, from one `hosts` message: this computer's meetings first, then
   * every other host with its meetings, each meeting once (the first host to list an id keeps
   * it). The other hosts show when mDNS is on or another host is known.
   * @param {{mdns: boolean, hosts: HostInfo[]}} directory
   */
  renderDirectory(directory) {
    this.directory = directory;
    const self = directory.hosts.find((x) => x.self);
    const seen = new Set((self ? self.rooms : []).map((r) => r.id));
    this.renderRooms(self ? self.rooms : []);
    const others = directory.hosts
      .filter((x) => !x.self)
      .map((x) => ({ ...x, rooms: x.rooms.filter((r) => !seen.has(r.id) && (seen.add(r.id), true)) }));
    this.renderHosts(directory.mdns || others.length ? others : null);
  }

  _empty() {
    const any = this.rooms.children.length > 0 || this.hosts.querySelector('li[data-room-id]') !== null;
    this.roomsEmpty.hidden = any;
  }

  /**
   * @param {RoomInfo} r
   * @param {() => void} onJoin
   */
  _roomItem(r, onJoin) {
    const full = r.capacity > 0 && r.peers >= r.capacity;
    const label = full ? t('first.room.full') : t('first.room.join');
    const btn = /** @type {HTMLButtonElement} */ (el('button', { type: 'button', className: 'join', textContent: label, disabled: full || this.busy }));
    btn.addEventListener('click', onJoin);
    return el(
      'li',
      { dataset: { roomId: r.id, locked: String(!!r.locked) }, className: full ? 'full' : '' },
      r.locked ? el('span', { className: 'lock', i18nTitle: 'first.room.locked' }, icon('lock')) : null,
      el('span', { className: 'room-name', textContent: r.name, title: r.id }),
      el('span', {
        className: 'count',
        textContent: `${r.peers}/${r.capacity}`,
        title: t('first.room.count', { count: r.peers, capacity: r.capacity }),
      }),
      btn,
    );
  }

  /**
   * The other moim computers of the network, each with its meetings; null hides them.
   * @param {HostInfo[]|null} hosts
   */
  renderHosts(hosts) {
    this.hostsSection.hidden = hosts === null;
    if (!hosts) {
      this.hosts.replaceChildren();
      this._empty();
      return;
    }
    const sorted = [...hosts].sort((a, b) => a.name.localeCompare(b.name));
    this.hosts.replaceChildren(
      ...sorted.map((host) =>
        el(
          'div',
          { className: 'host group', dataset: { hostId: host.id, self: String(!!host.self) } },
          el('h3', { textContent: t('first.near.other', { name: host.name }) }),
          host.rooms.length
            ? el('ul', { className: 'rooms' }, ...host.rooms.map((r) => this._roomItem(r, () => this.h.onJoinHostRoom(host, r))))
            : el('p', { className: 'muted small', i18n: 'first.near.none' }),
        ),
      ),
    );
    this._empty();
  }
}

/**
 * @param {HTMLSelectElement} select
 * @param {Device[]} list
 * @param {string} current
 * @param {string} none
 */
function fill(select, list, current, none) {
  select.replaceChildren(
    ...(list.length ? list.map((d) => el('option', { value: d.deviceId, textContent: d.label })) : [el('option', { value: '', textContent: none })]),
  );
  select.disabled = list.length === 0;
  if (current && list.some((d) => d.deviceId === current)) select.value = current;
}
