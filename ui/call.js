// The call on screen: my media and the others' in the meeting view. It connects the mesh,
// media, chat, stats and speaking detector to the meeting and chat views, remembers my name
// and devices (settings.js), enters a room (`existing-peers`) and ends the call. Wiring only: no DOM of its own, no session logic (the
// session decides when; this does what it means on screen).

import { mediaDenied } from './errors.js';
import { SETTINGS, load, save } from './settings.js';
import { uplink } from './stats.js';
import { mergeProblems, problemReasons } from './media.js';
import { t } from './i18n.js';

/**
 * @typedef {object} CallParts
 * @property {import('./session.js').Session} session
 * @property {import('./signaling.js').Signaling} sig
 * @property {import('./mesh.js').Mesh} mesh
 * @property {import('./media.js').Media} media
 * @property {import('./chat.js').Chat} chat
 * @property {import('./stats.js').Stats} stats
 * @property {import('./speaking.js').SpeakingDetector} speaking
 * @property {import('./early-signals.js').EarlySignals} early
 * @property {import('./view/meeting.js').MeetingView} meeting
 * @property {import('./view/chat.js').ChatView} chatView
 * @property {import('./view/lobby.js').LobbyView} lobby
 * @property {boolean} webrtc
 * @property {import('./view/banner.js').Banner} banner
 */

export class Call {
  /** @param {CallParts} p */
  constructor(p) {
    this.p = p;
    /** @type {import('./protocol.js').PeerInfo|null} me in the room */
    this.you = null;
    /** my display name outside a room */
    this.name = '';
    /** @type {{audio: boolean, video: boolean}|null} what the person last asked the devices for */
    this.wanted = null;
    const { mesh, meeting, speaking, chat, stats, session, sig } = p;
    // the host's word about the room's members
    sig.on('peer-joined', (msg) => session.inRoom && mesh.join(msg.peer));
    sig.on('peer-updated', (msg) => {
      if (!session.inRoom) return;
      if (msg.peer.id !== this.you?.id) return mesh.updated(msg.peer);
      this.you = msg.peer;
      this.syncLocal();
    });
    sig.on('peer-left', (msg) => session.inRoom && mesh.left(msg.peer_id, msg.reason));
    sig.on('signal', (/** @type {import('./protocol.js').SignalIn} */ msg) => {
      if (session.live) mesh.signal(msg.from, msg.data);
      else if (session.pending) p.early.hold(msg); // a join is under way: replayed in the room
    });
    // @sfu: a large meeting's one connection to the host
    for (const type of ['sfu-offer', 'sfu-answer']) {
      sig.on(type, (/** @type {import('./protocol.js').SfuIn} */ msg) => session.inRoom && mesh.host?.description(msg));
    }
    sig.on('sfu-forwarded', (/** @type {import('./protocol.js').SfuForwardedIn} */ msg) => session.inRoom && mesh.host?.forwarded(msg.peers));
    // the room outgrew the mesh: its media goes through the host from now on
    sig.on('room-media', (/** @type {import('./protocol.js').RoomMediaIn} */ msg) => {
      if (!session.inRoom) return;
      session.mediaMoved(msg);
      mesh.toHost();
    });
    sig.on('chat', (m) => chat.receive(m.from, { t: 'chat', id: m.id, name: m.name, time: m.time, text: m.text }));
    // my camera and microphone
    p.media.on('track', (kind, track) => {
      mesh.setTrack(kind, track);
      this.syncLocal();
    });
    p.media.on('devices', (devices) => p.lobby.setDevices(devices, { audio: p.media.currentDevice('audio'), video: p.media.currentDevice('video') }));
    p.media.on('problem', (problem) => {
      if (problem.code === 'ended') this._denied([problem]);
    });
    // the mesh, chat, speaking and stats on screen
    const setRoom = () => session.room && meeting.setRoom(session.room.name, mesh.size);
    mesh.on('peer-added', (info) => {
      meeting.addTile(info.id, info);
      if (!p.webrtc) meeting.setState(info.id, 'presence'); // no connection will ever start
      setRoom();
    });
    mesh.on('peer-info', (info) => meeting.setInfo(info.id, info));
    mesh.on('peer-removed', (id) => {
      meeting.removeTile(id);
      speaking.unwatch(id);
      setRoom();
    });
    mesh.on('peer-state', (id, s) => meeting.setState(id, s));
    mesh.on('stream', (id, stream) => {
      meeting.setStream(id, stream);
      speaking.watch(id, stream, mesh.peers.get(id)?.pc);
    });
    mesh.on('channel-open', (id) => chat.peerOpened(id));
    mesh.on('data', (id, msg) => chat.receive(id, msg));
    mesh.on('size', setRoom);
    mesh.on('cameras', (cameras) => meeting.setCameras(cameras));
    chat.on('message', (msg, { mine }) => p.chatView.add(msg, mine));
    speaking.on('speaking', (id, on) => meeting.setSpeaking(id === 'local' ? this.localId() : id, on));
    stats.on('stats', (all) => {
      mesh.adapt(all);
      for (const [id, q] of all) meeting.setQuality(id, q);
      const mine = all.size ? uplink(all) : null;
      meeting.setQuality(this.localId(), mine);
      meeting.setOwnQuality(mine?.own || '');
    });
  }

  /** The local tile's id: my peer id in the room. */
  localId() {
    return this.you?.id || this.p.sig.peerId || 'local';
  }

  /** My camera and microphone now. */
  on() {
    return { audio: this.p.media.isOn('audio'), video: this.p.media.isOn('video') };
  }

  /**
   * What was remembered and what the address asks (`?name=`, `&cam=0`, `&mic=0`): my name, my
   * devices; returns whether to open the camera and microphone.
   * @param {URLSearchParams} params
   */
  restore(params) {
    this.name = (params.get('name') || load(SETTINGS.name)).trim().slice(0, 48);
    if (params.get('name')) save(SETTINGS.name, this.name);
    this.p.lobby.setName(this.name);
    this.p.media.preferred.video = load(SETTINGS.cam);
    this.p.media.preferred.audio = load(SETTINGS.mic);
    const want = {
      video: params.get('cam') !== '0' && load(SETTINGS.useCam) !== '0',
      audio: params.get('mic') !== '0' && load(SETTINGS.useMic) !== '0',
    };
    this.p.lobby.setUse(want);
    return want;
  }

  /** @param {string} name my display name, as typed */
  rename(name) {
    this.name = name;
    save(SETTINGS.name, name);
    if (this.p.session.inRoom) this.syncLocal();
  }

  /**
   * The lobby's camera or microphone box changed: remember it, open what is wanted.
   * @param {'audio'|'video'} kind
   * @param {{audio: boolean, video: boolean}} want
   */
  async use(kind, want) {
    save(kind === 'video' ? SETTINGS.useCam : SETTINGS.useMic, want[kind] ? '1' : '0');
    await this.startMedia(want);
  }

  /**
   * Another camera or microphone picked: remember it, switch to it.
   * @param {'audio'|'video'} kind
   * @param {string} deviceId
   */
  async device(kind, deviceId) {
    save(kind === 'video' ? SETTINGS.cam : SETTINGS.mic, deviceId);
    await this.p.media.switchDevice(kind, deviceId);
    this.syncLocal();
  }

  /**
   * One message for every device problem, with "Try again" (what the person last asked for).
   * @param {{code: string, message: string, kind: 'audio'|'video'|'both'}[]} problems
   */
  _denied(problems) {
    const n = mediaDenied([mergeProblems(problems)]);
    const retry = { label: t('first.media.retry'), run: () => this.startMedia(this.wanted || this.p.lobby.want()) };
    this.p.banner.set(n.code, n.text, { level: n.level, action: retry });
  }

  /**
   * Open the camera and microphone as the person wants them (in the lobby).
   * @param {{audio: boolean, video: boolean}} want
   */
  async startMedia(want) {
    if (!this.p.webrtc) return;
    this.wanted = want;
    const problems = await this.p.media.start(want);
    if (problems.length) this._denied(problems);
    else this.p.banner.clear('media-denied');
    this.p.lobby.setReasons(problemReasons(problems), want);
    this.syncLocal();
  }

  /** @param {'audio'|'video'} kind turn it on or off */
  async toggle(kind) {
    const problem = await this.p.media.setEnabled(kind, !this.p.media.isOn(kind));
    if (problem) this._denied([problem]);
    this.syncLocal();
  }

  /** Reflect my media state everywhere, and tell the room when it changed. */
  syncLocal() {
    const { media, meeting, session } = this.p;
    const on = this.on();
    this.p.lobby.setPreview(media.stream, on.video);
    meeting.setControls(on);
    if (!session.inRoom) return;
    const id = this.localId();
    meeting.setInfo(id, { name: this.you?.name || this.name, ...on, hand: this.you?.hand ?? null }, true);
    meeting.setStream(id, media.stream.getTracks().length ? media.stream : null);
    this.p.speaking.watch('local', media.stream);
    const update = session.mediaUpdate(on);
    if (update) this.p.sig.send(update);
  }

  /**
   * In the room (`existing-peers`): the first time, the meeting screen; after a rejoin, the
   * same screen with the roster brought up to date.
   * @param {import('./protocol.js').ExistingPeers} msg
   * @param {boolean} first
   */
  enter(msg, first) {
    const { mesh, meeting, lobby } = this.p;
    const oldLocal = this.localId();
    this.you = msg.you;
    if (first) {
      lobby.hide();
      lobby.movePickers(meeting.devicesPopover);
      meeting.show();
      this.p.chatView.setEnabled(true); // chat also travels through the host: it works without WebRTC
      this.p.stats.start();
    } else if (oldLocal !== msg.you.id) {
      meeting.removeTile(oldLocal);
    }
    meeting.addTile(msg.you.id, { name: msg.you.name, local: true });
    mesh.enter(msg.you.id, this.p.sig.welcome?.ice_servers || [], msg.peers || [], msg.room.media);
    this.p.early.release((id) => mesh.infos.has(id), (from, data) => mesh.signal(from, data));
    meeting.setRoom(msg.room.name, mesh.size);
    this.syncLocal();
  }

  /** The host kept my place across a reconnection: carry on with the connections I have. */
  resume() {
    const { mesh, sig } = this.p;
    mesh.enter(sig.peerId || '', sig.welcome?.ice_servers || [], [...mesh.infos.values()]);
  }

  /** Out of the room: close every connection, empty the meeting screen. */
  end() {
    const { mesh, speaking, meeting } = this.p;
    mesh.closeAll();
    this.p.stats.stop();
    this.p.chat.reset();
    this.p.chatView.clear();
    for (const id of [...speaking.watched.keys()]) if (id !== 'local') speaking.unwatch(id);
    meeting.hide();
    this.p.lobby.movePickers(null);
    this.you = null;
    this.p.early.clear();
  }
}
