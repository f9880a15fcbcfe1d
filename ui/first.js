// The first minutes of a meeting, wired: suggested names (so "New meeting" works untyped),
// the devices opened only when the person previews or joins (the pre-join page opens them),
// the pre-join page's room status (`watch-room` → `room-status`), the invitation offered to
// someone alone in a new meeting, the "You left" screen with Rejoin, join / leave / rename
// notices (with an optional sound), renaming oneself in the meeting, the speaker and the
// microphone level. No DOM of its own: the views are given to it. See docs/client.md.

import { t } from './i18n.js';
import { codeFromFragment, meetingLink } from './room-id.js';
import { SETTINGS, load, save } from './settings.js';
import { LevelMeter } from './level.js';
import { PrejoinView } from './view/prejoin.js';
import { NoticesView, SpeakerRouter } from './view/notices.js';

/** Room ids as the host makes them (docs/protocol.md): four groups of four, Crockford base32. */
export const ROOM_ID = /^[0-9a-hjkmnp-tv-z]{4}(-[0-9a-hjkmnp-tv-z]{4}){3}$/;

/** @typedef {import('./protocol.js').RoomStatus} RoomStatus */

/**
 * @typedef {object} FirstParts
 * @property {import('./session.js').Session} session
 * @property {import('./signaling.js').Signaling} sig
 * @property {import('./media.js').Media} media
 * @property {import('./call.js').Call} call
 * @property {import('./view/lobby.js').LobbyView} lobby
 * @property {import('./view/invite.js').InviteView} invite
 * @property {import('./view/banner.js').Banner} banner
 * @property {import('./directory.js').Directory} directory
 * @property {(roomId: string, passcode: string) => void} join
 * @property {() => void} route show what the address says
 * @property {string} base the host's origin (the page's own, or the desktop shell's)
 * @property {boolean} webrtc whether this page can call (else the call is handed to a browser)
 */

export class FirstMinutes {
  /** @param {FirstParts} p */
  constructor(p) {
    this.p = p;
    this.prejoin = new PrejoinView({ onRejoin: () => this.rejoin(), onDismissLeft: () => this.prejoin.showLeft(null) });
    this.notices = new NoticesView();
    this.level = new LevelMeter();
    this.speaker = new SpeakerRouter();
    /** @type {{id: string, name: string, passcode: string, via: string|null}|null} the meeting I am in, then the one I left */
    this.last = null;
    /** @type {{id: string, passcode: string}|null} a rejoin that waits for its host to answer */
    this.pendingRejoin = null;
    /** the room whose status the page follows ('' none) */
    this.watching = '';
    /** @type {Map<string, string>} the names of the others in the room, by peer id */
    this.roster = new Map();
    /** @type {Promise<void>|null} the devices being opened for a join */
    this.opening = null;
    this.sound = load(SETTINGS.sound) === '1';
    p.lobby.setSound(this.sound);
    p.lobby.listen({
      onPreview: () => this.preview(),
      onNameDone: (name) => this.renamed(name),
      onName: (name) => {
        p.call.rename(name);
        this._suggestMeeting();
      },
      onSpeaker: (id) => {
        save(SETTINGS.speaker, id);
        this.speaker.use(id);
      },
      onSound: (on) => {
        this.sound = on;
        save(SETTINGS.sound, on ? '1' : '0');
      },
    });
    this._wireSession();
    this._wireHost();
    p.media.on('stream', (/** @type {MediaStream} */ s) => this.level.watch(s));
    p.media.on('devices', () => this._devices());
    this.level.on('level', (/** @type {number} */ x) => p.lobby.setLevel(x));
    document.addEventListener('click', () => this.level.resume());
    const speaker = load(SETTINGS.speaker);
    if (speaker) this.speaker.use(speaker);
  }

  /** The link to the meeting this page is in or about to join (room-id.js `meetingLink`). */
  meetingUrl() {
    const { session, directory, base } = this.p;
    const roomId = session.room?.id || session.prejoin.roomId;
    if (!roomId) return location.href;
    return meetingLink({
      origin: base,
      roomId,
      passcode: session.room?.passcode || '',
      via: session.via,
      host: directory.sessionHost,
      loopback: /^(localhost|127\.|\[::1\])/.test(location.hostname),
      code: codeFromFragment(location.hash),
    });
  }

  /**
   * Show the invitation to the meeting (`meetingUrl`), with its host's full fingerprint.
   * @param {{alone?: boolean}} [how]
   * @returns {string} the link
   */
  invite(how = {}) {
    const url = this.meetingUrl();
    this.p.invite.show(url, { ...how, fingerprint: this.p.directory.sessionHost?.fingerprint || '' });
    return url;
  }

  _wireSession() {
    const { session, lobby, media } = this.p;
    session.on('phase', (/** @type {string} */ phase) => {
      if (phase !== 'lobby' && phase !== 'left') this.prejoin.showLeft(null);
      if (phase !== 'prejoin' && phase !== 'joining') this._watch('');
    });
    session.on('busy', (/** @type {boolean} */ busy) => this.prejoin.setBusy(busy));
    session.on('entered', (/** @type {import('./protocol.js').ExistingPeers} */ msg, /** @type {{first: boolean}} */ { first }) => {
      const room = /** @type {import('./session.js').Room} */ (session.room);
      this.last = { id: room.id, name: room.name, passcode: room.passcode, via: session.via };
      this.roster = new Map(msg.peers.map((x) => [x.id, x.name]));
      // Alone in a new meeting: the invitation, unless the call went to a browser (which shows
      // it there; here it would cover the hand-off's banner).
      if (first && msg.peers.length === 0 && this.p.webrtc) this.invite({ alone: true });
    });
    session.on('left', (/** @type {{dropped: boolean}} */ { dropped }) => {
      this.notices.clear();
      this.roster.clear();
      if (this.p.invite.open) this.p.invite.dialog.close();
      lobby.clearForms();
      // the camera goes off with the meeting (once the call is closed): the lobby shows no preview
      queueMicrotask(() => media.stop());
      this.opening = null;
      if (!dropped && this.last) this.prejoin.showLeft({ name: this.last.name });
    });
  }

  _wireHost() {
    const { sig, session, banner } = this.p;
    sig.on('welcome', () => {
      if (session.phase === 'prejoin' && ROOM_ID.test(session.prejoin.roomId)) this._watch(session.prejoin.roomId, true);
      const r = this.pendingRejoin;
      if (r && session.phase === 'prejoin' && session.prejoin.roomId === r.id) {
        this.pendingRejoin = null;
        this.p.join(r.id, r.passcode);
      }
    });
    sig.on('room-status', (/** @type {RoomStatus} */ msg) => {
      if (msg.room !== this.watching || session.phase === 'meeting') return;
      this.prejoin.show({ state: 'status', status: msg });
      // a seat freed up, or the room is back: what the last click met no longer holds
      if (!msg.full) banner.clear('room-full');
      if (!msg.gone) banner.clear('no-such-room');
    });
    sig.on('peer-joined', (/** @type {import('./protocol.js').PeerJoined} */ msg) => {
      if (!session.inRoom) return;
      const known = this.roster.has(msg.peer.id);
      this.roster.set(msg.peer.id, msg.peer.name);
      if (this.p.invite.open && this.p.invite.dialog.dataset.alone === 'true') this.p.invite.dialog.close();
      if (!known) this.notices.add('join', t('first.notice.joined', { name: msg.peer.name }), this.sound);
    });
    sig.on('peer-updated', (/** @type {import('./protocol.js').PeerUpdated} */ msg) => {
      const before = this.roster.get(msg.peer.id);
      if (!session.inRoom || before === undefined) return;
      this.roster.set(msg.peer.id, msg.peer.name);
      if (before !== msg.peer.name) this.notices.add('rename', t('first.notice.renamed', { old: before, name: msg.peer.name }), false);
    });
    sig.on('room-media', (/** @type {import('./protocol.js').RoomMediaIn} */ msg) => {
      if (session.inRoom) this.notices.add('media', t(msg.reason === 'reach' ? 'first.notice.media.reach' : 'first.notice.media.size'), false);
    });
    sig.on('peer-left', (/** @type {import('./protocol.js').PeerLeft} */ msg) => {
      const name = this.roster.get(msg.peer_id);
      if (!session.inRoom || name === undefined) return;
      this.roster.delete(msg.peer_id);
      this.notices.add('leave', t('first.notice.left', { name }), this.sound);
    });
  }

  /**
   * At start: a name when none is remembered, a meeting name to go with it; returns whether
   * to open the devices now (a pre-join page: the person came to join this meeting).
   */
  start() {
    const { call, lobby, session } = this.p;
    if (!call.name) {
      call.name = t('first.name.suggest', { n: 10 + Math.floor(Math.random() * 90) });
      lobby.setName(call.name);
    }
    this._suggestMeeting();
    if (session.phase !== 'prejoin') this.p.call.syncLocal();
    return session.phase === 'prejoin';
  }

  _suggestMeeting() {
    this.p.lobby.setSuggestedMeeting(t('first.create.suggest', { name: this.p.call.name || t('first.name.you') }));
  }

  /** Show the pre-join page of the session's room, with what is known of it. */
  showPrejoin() {
    const { session, lobby, directory } = this.p;
    const { roomId } = session.prejoin;
    lobby.showPrejoin(roomId);
    this.prejoinShown(roomId, directory.roomName(roomId, session.via));
  }

  /** The pre-join page of `roomId` is on screen (`name`: what the directory calls it). */
  prejoinShown(/** @type {string} */ roomId, /** @type {string|undefined} */ name) {
    const malformed = !ROOM_ID.test(roomId);
    if (this.watching !== roomId || malformed) {
      this.prejoin.open(roomId, malformed ? { state: 'malformed' } : { state: 'loading' }, name);
      this._watch(malformed ? '' : roomId);
      // the person came to join this meeting: the preview and the level meter at once
      if (!malformed) this.beforeJoin();
    } else if (name) {
      this.prejoin.name = name;
    }
  }

  /**
   * Follow room `roomId`'s status ('' stops).
   * @param {string} roomId
   * @param {boolean} [again] the socket is new: ask even if it was asked before
   */
  _watch(roomId, again = false) {
    const { sig } = this.p;
    if (roomId === this.watching && !again) return;
    const was = this.watching;
    this.watching = roomId;
    if (!sig.connected) return;
    if (roomId) sig.send({ type: 'watch-room', room: roomId });
    else if (was) sig.send({ type: 'watch-room' });
  }

  /** Before a join or a create: the devices the boxes ask for, opened once. */
  beforeJoin() {
    if (this.p.media.stream.getTracks().length) return Promise.resolve();
    this.opening = this.opening || this.p.call.startMedia(this.p.lobby.want());
    return this.opening;
  }

  /** "Preview": open what the boxes ask for (both when neither is ticked). */
  async preview() {
    const want = this.p.lobby.want();
    const ask = want.audio || want.video ? want : { audio: true, video: true };
    this.p.lobby.setUse(ask);
    this.opening = this.p.call.startMedia(ask);
    await this.opening;
  }

  /** The name field, done with: in a meeting, everyone else hears it (`update`). */
  renamed(/** @type {string} */ name) {
    const { session, sig } = this.p;
    if (!name || !session.inRoom || !sig.connected) return;
    sig.send({ type: 'update', name: name.slice(0, 48) });
  }

  /** "Rejoin" on the "You left" screen: back to that meeting's page, and in. */
  rejoin() {
    const last = this.last;
    this.prejoin.showLeft(null);
    if (!last) return;
    const query = last.via ? `?via=${encodeURIComponent(last.via)}` : '';
    history.pushState({}, '', `/j/${encodeURIComponent(last.id)}${query}`);
    this.p.route();
    if (this.p.sig.connected && this.p.session.via === last.via) this.p.join(last.id, last.passcode);
    else this.pendingRejoin = { id: last.id, passcode: last.passcode };
  }

  _devices() {
    const { media, lobby } = this.p;
    const current = { audio: media.currentDevice('audio'), video: media.currentDevice('video'), speaker: this.speaker.deviceId };
    lobby.setDevices(media.devices, current);
  }
}
