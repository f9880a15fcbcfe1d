// The lobby (#lobby) and the pre-join screen (the same page with only "You" and "Join"):
// name, preview, device pickers, the room list of this host, create / join forms, and the
// "Meetings on this network" section. DOM only: everything it learns goes out through the
// handlers given to the constructor.

import { byId, el, icon, play } from './dom.js';
import { initials } from '../room-id.js';

/**
 * @typedef {{id: string, name: string, peers: number, capacity: number, locked: boolean}} RoomInfo
 * @typedef {{id: string, name: string, url: string, self: boolean, fingerprint?: string|null, rooms: RoomInfo[]}} HostInfo
 * @typedef {{deviceId: string, label: string}} Device
 */

/**
 * @typedef {object} LobbyHandlers
 * @property {(name: string) => void} onName
 * @property {(kind: 'audio'|'video', on: boolean) => void} onUse
 * @property {(kind: 'audio'|'video', deviceId: string) => void} onDevice
 * @property {(req: {name: string, passcode: string, listed: boolean}) => void} onCreate
 * @property {(input: string, passcode: string) => void} onJoinInput
 * @property {(room: RoomInfo) => void} onJoinRoom
 * @property {(host: HostInfo, room: RoomInfo) => void} onJoinHostRoom
 * @property {() => void} onPrejoin
 */

export class LobbyView {
  /** @param {LobbyHandlers} h */
  constructor(h) {
    this.h = h;
    this.root = byId('lobby');
    this.name = /** @type {HTMLInputElement} */ (byId('name'));
    this.preview = /** @type {HTMLVideoElement} */ (byId('preview'));
    this.previewPlaceholder = byId('preview-placeholder');
    this.useCam = /** @type {HTMLInputElement} */ (byId('use-cam'));
    this.useMic = /** @type {HTMLInputElement} */ (byId('use-mic'));
    this.camSelect = /** @type {HTMLSelectElement} */ (byId('cam-select'));
    this.micSelect = /** @type {HTMLSelectElement} */ (byId('mic-select'));
    this.pickers = byId('device-pickers');
    this.pickersHome = /** @type {HTMLElement} */ (this.pickers.parentElement);
    this.pickersNext = this.pickers.nextElementSibling;
    this.note = byId('media-note');
    this.rooms = byId('rooms');
    this.roomsEmpty = byId('rooms-empty');
    this.hostsSection = byId('hosts-section');
    this.hosts = byId('hosts');
    this.prejoin = byId('prejoin');
    this.lobbyRooms = byId('lobby-rooms');
    this.prejoinBtn = /** @type {HTMLButtonElement} */ (byId('prejoin-btn'));
    this.createBtn = /** @type {HTMLButtonElement} */ (byId('create-btn'));
    this.joinBtn = /** @type {HTMLButtonElement} */ (byId('join-btn'));

    this.name.addEventListener('input', () => {
      h.onName(this.name.value.trim());
      this._placeholder();
    });
    this.useCam.addEventListener('change', () => h.onUse('video', this.useCam.checked));
    this.useMic.addEventListener('change', () => h.onUse('audio', this.useMic.checked));
    this.camSelect.addEventListener('change', () => h.onDevice('video', this.camSelect.value));
    this.micSelect.addEventListener('change', () => h.onDevice('audio', this.micSelect.value));
    byId('create-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      if (!this._nameOk()) return;
      h.onCreate({
        name: /** @type {HTMLInputElement} */ (byId('create-name')).value.trim(),
        passcode: /** @type {HTMLInputElement} */ (byId('create-passcode')).value,
        listed: /** @type {HTMLInputElement} */ (byId('create-listed')).checked,
      });
    });
    byId('join-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      if (!this._nameOk()) return;
      h.onJoinInput(
        /** @type {HTMLInputElement} */ (byId('join-id')).value,
        /** @type {HTMLInputElement} */ (byId('join-passcode')).value,
      );
    });
    this.prejoinBtn.addEventListener('click', () => {
      if (this._nameOk()) h.onPrejoin();
    });
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
    this.root.hidden = false;
    this.prejoin.hidden = true;
    this.lobbyRooms.hidden = false;
    this.hostsSection.hidden = !this.hostsAvailable;
  }

  /**
   * The pre-join screen of one room.
   * @param {string} roomId
   * @param {string} [roomName]
   */
  showPrejoin(roomId, roomName) {
    this.root.hidden = false;
    this.prejoin.hidden = false;
    this.lobbyRooms.hidden = true;
    this.hostsSection.hidden = true;
    byId('prejoin-id').textContent = roomId;
    byId('prejoin-room').textContent = roomName ? `“${roomName}”` : 'meeting';
    /** @type {HTMLInputElement} */ (byId('join-id')).value = roomId;
  }

  hide() {
    this.root.hidden = true;
  }

  /** @param {boolean} busy a join or create is under way */
  setBusy(busy) {
    this.prejoinBtn.disabled = busy;
    this.createBtn.disabled = busy;
    this.joinBtn.disabled = busy;
    for (const b of this.rooms.querySelectorAll('button.join')) /** @type {HTMLButtonElement} */ (b).disabled = busy;
  }

  /** @param {string} name */
  setName(name) {
    this.name.value = name;
    this._placeholder();
  }

  _placeholder() {
    /** @type {HTMLElement} */ (this.previewPlaceholder.firstElementChild).textContent = initials(this.name.value);
  }

  /**
   * @param {MediaStream} stream
   * @param {boolean} videoOn
   */
  setPreview(stream, videoOn) {
    play(this.preview, stream.getTracks().length ? stream : null);
    this.previewPlaceholder.hidden = videoOn;
    this._placeholder();
  }

  /** @param {{audio: boolean, video: boolean}} use */
  setUse(use) {
    this.useCam.checked = use.video;
    this.useMic.checked = use.audio;
  }

  /**
   * @param {{cams: Device[], mics: Device[]}} devices
   * @param {{audio: string, video: string}} current
   */
  setDevices(devices, current) {
    fill(this.camSelect, devices.cams, current.video, 'No camera');
    fill(this.micSelect, devices.mics, current.audio, 'No microphone');
  }

  /** @param {string} text empty to hide */
  setNote(text) {
    this.note.textContent = text;
    this.note.hidden = !text;
  }

  /**
   * Move the device pickers into `container` (the meeting's device popover) or back home.
   * @param {HTMLElement|null} container
   */
  movePickers(container) {
    if (container) container.append(this.pickers);
    else this.pickersHome.insertBefore(this.pickers, this.pickersNext);
  }

  /** @param {RoomInfo[]} rooms */
  renderRooms(rooms) {
    this.rooms.replaceChildren(...rooms.map((r) => this._roomItem(r, () => this.h.onJoinRoom(r))));
    this.roomsEmpty.hidden = rooms.length > 0;
  }

  /**
   * @param {RoomInfo} r
   * @param {() => void} onJoin
   */
  _roomItem(r, onJoin) {
    const full = r.capacity > 0 && r.peers >= r.capacity;
    const btn = /** @type {HTMLButtonElement} */ (el('button', { type: 'button', className: 'join', textContent: full ? 'Full' : 'Join', disabled: full }));
    btn.addEventListener('click', onJoin);
    return el(
      'li',
      { dataset: { roomId: r.id, locked: String(!!r.locked) }, className: full ? 'full' : '' },
      r.locked ? el('span', { className: 'lock', title: 'Passcode needed' }, icon('lock')) : null,
      el('span', { className: 'room-name', textContent: r.name, title: r.id }),
      el('span', { className: 'count', textContent: `${r.peers}/${r.capacity}`, title: `${r.peers} of ${r.capacity} people` }),
      btn,
    );
  }

  /**
   * The "Meetings on this network" section; null hides it (no /api/hosts on this host).
   * @param {HostInfo[]|null} hosts
   */
  renderHosts(hosts) {
    this.hostsAvailable = hosts !== null;
    if (this.prejoin.hidden) this.hostsSection.hidden = hosts === null;
    if (!hosts) return;
    const sorted = [...hosts].sort((a, b) => Number(b.self) - Number(a.self) || a.name.localeCompare(b.name));
    this.hosts.replaceChildren(
      ...sorted.map((host) =>
        el(
          'div',
          { className: 'host', dataset: { hostId: host.id, self: String(!!host.self) } },
          el('h3', {}, host.name, host.self ? el('span', { className: 'self', textContent: ' (this computer)' }) : null),
          host.rooms.length
            ? el('ul', { className: 'rooms' }, ...host.rooms.map((r) => this._roomItem(r, () => this.h.onJoinHostRoom(host, r))))
            : el('p', { className: 'muted', textContent: 'No open meetings.' }),
        ),
      ),
    );
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
