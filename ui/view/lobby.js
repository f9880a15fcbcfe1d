// The lobby (#lobby) and the pre-join screen (the same page with only "You" and "Join"):
// name, preview, device pickers, the meetings of this host, create / join forms, the
// "Meetings on this network" section (the other hosts, each with its meetings) and the header's
// host name. DOM only: everything it learns goes out through the handlers given to the
// constructor; the directory comes in whole from the host's `hosts` feed (`renderDirectory`).

import { byId, el, icon, play } from './dom.js';
import { initials } from '../room-id.js';

/**
 * @typedef {import('../protocol.js').RoomInfo} RoomInfo
 * @typedef {import('../protocol.js').LanHost} HostInfo
 * @typedef {{deviceId: string, label: string}} Device
 */

/**
 * @typedef {object} LobbyHandlers
 * @property {(name: string) => void} onName
 * @property {(kind: 'audio'|'video', want: {audio: boolean, video: boolean}) => void} onUse the
 *   lobby's camera / microphone boxes changed (`kind`); `want` is both boxes now
 * @property {(kind: 'audio'|'video', deviceId: string) => void} onDevice
 * @property {(req: {name: string, passcode: string, listed: boolean}) => void} onCreate
 * @property {(input: string, passcode: string) => void} onJoinInput
 * @property {(room: RoomInfo, passcode: string) => void} onJoinRoom a meeting of this host, with
 *   the passcode typed in the join form (for a locked one)
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
    this.hostName = byId('host-name');
    this.hostsAvailable = false;
    this.prejoin = byId('prejoin');
    this.lobbyRooms = byId('lobby-rooms');
    this.prejoinBtn = /** @type {HTMLButtonElement} */ (byId('prejoin-btn'));
    this.createBtn = /** @type {HTMLButtonElement} */ (byId('create-btn'));
    this.joinBtn = /** @type {HTMLButtonElement} */ (byId('join-btn'));

    this.name.addEventListener('input', () => {
      h.onName(this.name.value.trim());
      this._placeholder();
    });
    const want = () => ({ audio: this.useMic.checked, video: this.useCam.checked });
    this.useCam.addEventListener('change', () => h.onUse('video', want()));
    this.useMic.addEventListener('change', () => h.onUse('audio', want()));
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
    document.title = 'moim';
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
    document.title = 'moim';
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

  /** Focus the name field (a join needs a name). */
  focusName() {
    this.name.focus();
  }

  /** @param {string} name the host the page talks to, '' when unknown */
  setHostName(name) {
    this.hostName.textContent = name ? `on ${name}` : '';
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
    const passcode = () => /** @type {HTMLInputElement} */ (byId('join-passcode')).value;
    this.rooms.replaceChildren(...rooms.map((r) => this._roomItem(r, () => this.h.onJoinRoom(r, r.locked ? passcode() : ''))));
    this.roomsEmpty.hidden = rooms.length > 0;
  }

  /**
   * The whole LAN directory, from one `hosts` message: this host's meetings under "Meetings on
   * this host", every other host with its meetings under "Meetings on this network" (each
   * meeting once). The network section shows when mDNS is on or another host is known.
   * @param {{mdns: boolean, hosts: HostInfo[]}} directory
   */
  renderDirectory(directory) {
    const self = directory.hosts.find((x) => x.self);
    this.renderRooms(self ? self.rooms : []);
    const others = directory.hosts.filter((x) => !x.self);
    this.renderHosts(directory.mdns || others.length ? others : null);
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
   * The "Meetings on this network" section: the other hosts; null hides it.
   * @param {HostInfo[]|null} hosts
   */
  renderHosts(hosts) {
    this.hostsAvailable = hosts !== null;
    if (this.prejoin.hidden) this.hostsSection.hidden = hosts === null;
    if (!hosts) return;
    if (!hosts.length) {
      this.hosts.replaceChildren(el('p', { className: 'muted', textContent: 'No other moim host found on this network yet.' }));
      return;
    }
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
