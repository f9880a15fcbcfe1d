// moim's browser client: the wiring. It owns the app's state (lobby, pre-join, meeting),
// connects the non-DOM modules (signaling, mesh, media, chat, stats, speaking) to the views,
// and turns every failure a person can hit into a sentence in the banner. See docs/client.md.

import { Signaling, wsUrlFor } from './signaling.js';
import { Mesh } from './mesh.js';
import { Media } from './media.js';
import { Chat } from './chat.js';
import { Stats, uplink } from './stats.js';
import { SpeakingDetector } from './speaking.js';
import { fingerprintFromFragment, formatFingerprint, joinLink, parseJoinInput, passcodeFromFragment, roomFromPath } from './room-id.js';
import { Banner } from './view/banner.js';
import { LobbyView } from './view/lobby.js';
import { MeetingView } from './view/meeting.js';
import { ChatView } from './view/chat.js';
import { askPasscode } from './view/dialog.js';
import { byId } from './view/dom.js';

/**
 * What the desktop shell may set before this script runs (an initialization script):
 *   base          the host's http(s) origin when the page is not served by the host itself
 *   openExternal  opens a URL in the system browser (offered when this webview lacks WebRTC)
 * @typedef {{base?: string, openExternal?: (url: string) => void}} MoimConfig
 * @typedef {import('./mesh.js').PeerInfo} PeerInfo
 * @typedef {import('./view/lobby.js').RoomInfo} RoomInfo
 * @typedef {import('./view/lobby.js').HostInfo} HostInfo
 */

const STORE = {
  name: 'moim.name',
  cam: 'moim.camera',
  mic: 'moim.microphone',
  useCam: 'moim.useCamera',
  useMic: 'moim.useMicrophone',
};
const HOSTS_EVERY_MS = 2000;

/** @type {MoimConfig} */
const config = /** @type {any} */ (window).moimConfig || {};
const webrtc = typeof RTCPeerConnection !== 'undefined';
const params = new URLSearchParams(location.search);
const base = config.base || location.origin;
/** Another host's id when this page joins a room there through this host (see docs/discovery.md). */
const via = params.get('via');

const sig = new Signaling(wsUrlFor(base, via));
if (params.get('transport') === 'sse') sig.useSse();
const media = new Media();
const mesh = new Mesh({ sendSignal: (to, data) => sig.send({ type: 'signal', to, data }), webrtc });
const chat = new Chat({
  broadcast: (m) => mesh.broadcast(m),
  sendTo: (id, m) => mesh.sendTo(id, m),
  relay: (m) => sig.send(m),
});
const stats = new Stats(() => new Map([...mesh.peers].map(([id, p]) => [id, p.pc])));
const speaking = new SpeakingDetector();
const banner = new Banner();

/**
 * @typedef {object} AppState
 * @property {'lobby'|'prejoin'|'meeting'} mode
 * @property {string} name
 * @property {{id: string, name: string, token: string, passcode: string, capacity: number}|null} room
 * @property {{kind: 'join'|'create'|'rejoin', roomId: string, passcode: string}|null} pending
 * @property {string} prejoinRoom
 * @property {string} prejoinPasscode
 * @property {RoomInfo[]} rooms
 * @property {PeerInfo|null} you
 * @property {{audio: boolean, video: boolean}|null} sent what the host last heard about my media
 * @property {string} selfUrl this host's address for others (from /api/hosts)
 * @property {string} selfFingerprint this host's certificate fingerprint (hex), '' without HTTPS
 * @property {HostInfo[]} hosts the hosts of the LAN, from the last /api/hosts
 * @property {boolean} autojoin
 * @property {boolean} mediaReady
 */

/** @type {AppState} */
const state = {
  mode: 'lobby',
  name: '',
  room: null,
  pending: null,
  prejoinRoom: '',
  prejoinPasscode: '',
  rooms: [],
  you: null,
  sent: null,
  selfUrl: '',
  selfFingerprint: '',
  hosts: [],
  autojoin: false,
  mediaReady: false,
};

// ---------------------------------------------------------------- storage

/** @param {string} key */
function load(key) {
  try {
    return localStorage.getItem(key) || '';
  } catch {
    return '';
  }
}

/**
 * @param {string} key
 * @param {string} value
 */
function save(key, value) {
  try {
    localStorage.setItem(key, value);
  } catch {
    /* private mode */
  }
}

// ---------------------------------------------------------------- views

const lobby = new LobbyView({
  onName(name) {
    state.name = name;
    save(STORE.name, name);
    if (state.mode === 'meeting') syncLocal();
  },
  async onUse(kind, on) {
    save(kind === 'video' ? STORE.useCam : STORE.useMic, on ? '1' : '0');
    await startMedia({ audio: kind === 'audio' ? on : lobby.useMic.checked, video: kind === 'video' ? on : lobby.useCam.checked });
  },
  async onDevice(kind, deviceId) {
    save(kind === 'video' ? STORE.cam : STORE.mic, deviceId);
    await media.switchDevice(kind, deviceId);
    syncLocal();
  },
  onCreate({ name, passcode, listed }) {
    if (!name) return;
    if (!sig.connected) return cannotReach();
    state.pending = { kind: 'create', roomId: '', passcode };
    lobby.setBusy(true);
    /** @type {any} */
    const msg = { type: 'create-room', name };
    if (passcode) msg.passcode = passcode;
    if (!listed) msg.listed = false;
    sig.send(msg);
  },
  onJoinInput(input, passcode) {
    const parsed = parseJoinInput(input);
    if (!parsed.id) {
      banner.set('no-such-room', 'Type a meeting id like k3f9-x2mq-7tvd-pa4h, or paste a join link.', { level: 'error' });
      return;
    }
    join(parsed.id, passcode || parsed.passcode);
  },
  onJoinRoom(room) {
    join(room.id, room.locked ? /** @type {HTMLInputElement} */ (byId('join-passcode')).value : '');
  },
  onJoinHostRoom(host, room) {
    if (host.self) {
      join(room.id, '');
      return;
    }
    // Stay on this origin: this host relays the signaling to the other one.
    const url = new URL(joinLink(base, room.id));
    url.searchParams.set('via', host.id);
    if (state.name) url.searchParams.set('name', state.name);
    location.href = url.toString();
  },
  onPrejoin() {
    join(state.prejoinRoom, state.prejoinPasscode);
  },
});

const meeting = new MeetingView({
  async onToggleMic() {
    const problem = await media.setEnabled('audio', !media.isOn('audio'));
    if (problem) banner.set('media-denied', problem.message);
    syncLocal();
  },
  async onToggleCam() {
    const problem = await media.setEnabled('video', !media.isOn('video'));
    if (problem) banner.set('media-denied', problem.message);
    syncLocal();
  },
  onLeave() {
    leave();
  },
  onCopyLink() {
    copyLink();
  },
  onAutoplayBlocked() {
    banner.set('autoplay', 'Your browser held back the sound. Click anywhere on the page to hear the others.', { level: 'info' });
  },
});

const chatView = new ChatView({
  onSend(text) {
    chat.send(state.you?.name || state.name, text);
  },
});

// ---------------------------------------------------------------- local media

/** @param {{audio: boolean, video: boolean}} want */
async function startMedia(want) {
  if (!webrtc) return;
  const problems = await media.start(want);
  if (problems.length) {
    const text = problems.map((p) => p.message).join(' ');
    banner.set('media-denied', text);
    lobby.setNote(text);
  } else {
    banner.clear('media-denied');
    lobby.setNote('');
  }
  syncLocal();
}

/** Reflect my media state everywhere, and tell the room when it changed. */
function syncLocal() {
  const on = { audio: media.isOn('audio'), video: media.isOn('video') };
  lobby.setPreview(media.stream, on.video);
  meeting.setControls(on);
  if (state.mode !== 'meeting') return;
  const id = localTileId();
  meeting.setInfo(id, { name: state.you?.name || state.name, ...on }, true);
  meeting.setStream(id, media.stream.getTracks().length ? media.stream : null);
  speaking.watch('local', media.stream);
  if (sig.connected && (!state.sent || state.sent.audio !== on.audio || state.sent.video !== on.video)) {
    sig.send({ type: 'update', ...on });
    state.sent = on;
  }
}

function localTileId() {
  return state.you?.id || sig.peerId || 'local';
}

media.on('track', (kind, track) => {
  mesh.setTrack(kind, track);
  syncLocal();
});
media.on('devices', (devices) => {
  lobby.setDevices(devices, { audio: media.currentDevice('audio'), video: media.currentDevice('video') });
});
media.on('problem', (p) => {
  if (p.code === 'ended') banner.set('media-denied', p.message);
});

// ---------------------------------------------------------------- rooms: join, leave

/**
 * @param {string} roomId
 * @param {string} passcode
 */
function join(roomId, passcode) {
  if (state.mode === 'meeting') return;
  if (!state.name) {
    lobby.name.focus();
    return;
  }
  speaking.resume();
  if (!sig.connected) {
    // remember it: sent as soon as the host answers
    state.pending = { kind: 'join', roomId, passcode };
    cannotReach();
    return;
  }
  state.pending = { kind: 'join', roomId, passcode };
  lobby.setBusy(true);
  sendJoin(roomId, passcode, null);
  if (!webrtc) announceNoWebRTC(joinLink(base, roomId));
}

/**
 * @param {string} roomId
 * @param {string} passcode
 * @param {{name: string, token: string}|null} recreate
 */
function sendJoin(roomId, passcode, recreate) {
  const on = { audio: media.isOn('audio'), video: media.isOn('video') };
  /** @type {any} */
  const msg = { type: 'join', room: roomId, name: (state.name || 'Guest').slice(0, 48), ...on };
  if (passcode) msg.passcode = passcode;
  if (recreate) msg.recreate = recreate;
  state.sent = on;
  mesh.mark('join');
  sig.send(msg);
}

/** @param {any} msg existing-peers */
function onExistingPeers(msg) {
  const pending = state.pending;
  state.pending = null;
  lobby.setBusy(false);
  const first = state.mode !== 'meeting';
  const passcode = pending ? pending.passcode : state.room?.passcode || '';
  state.room = {
    id: msg.room.id,
    name: msg.room.name,
    token: msg.room_token,
    passcode,
    capacity: msg.room.capacity,
  };
  const oldLocal = localTileId();
  state.you = msg.you;
  for (const code of ['wrong-passcode', 'no-such-room', 'room-full', 'bad-token', 'reconnecting', 'closing', 'error']) banner.clear(code);
  if (first) {
    state.mode = 'meeting';
    lobby.hide();
    lobby.movePickers(byId('devices-popover'));
    meeting.show();
    // Chat also travels through the host, so it works even where this page cannot call.
    chatView.setEnabled(true);
    const path = `/j/${encodeURIComponent(state.room.id)}`;
    if (location.pathname !== path) history.pushState({ room: state.room.id }, '', path + location.hash);
    stats.start();
  } else if (oldLocal !== msg.you.id) {
    meeting.removeTile(oldLocal);
  }
  meeting.addTile(msg.you.id, { name: msg.you.name, local: true });
  mesh.enter(msg.you.id, sig.welcome?.ice_servers || [], msg.peers || []);
  const early = earlySignals;
  earlySignals = [];
  for (const s of early) if (mesh.infos.has(s.from)) mesh.signal(s.from, s.data);
  meeting.setRoom(state.room.name, mesh.size);
  syncLocal();
}

/** Back to the lobby: close every connection. */
function leave() {
  if (state.mode !== 'meeting') return;
  sig.send({ type: 'leave' });
  mesh.closeAll();
  stats.stop();
  chat.reset();
  chatView.clear();
  for (const id of [...speaking.watched.keys()]) if (id !== 'local') speaking.unwatch(id);
  meeting.hide();
  lobby.movePickers(null);
  state.room = null;
  state.you = null;
  state.pending = null;
  state.mode = 'lobby';
  document.title = 'moim';
  for (const code of ['reconnecting', 'closing', 'autoplay']) banner.clear(code);
  if (location.pathname !== '/') history.pushState({}, '', '/');
  route();
}

// ---------------------------------------------------------------- host events

sig.on('status', (s) => {
  if (s.state === 'open') return;
  if (state.mode === 'meeting') mesh.offline();
  if (s.state !== 'reconnecting') return;
  if (banner.has('closing')) return;
  if (state.mode === 'meeting') {
    banner.set('reconnecting', 'Lost the connection to the host. Reconnecting… the call goes on meanwhile.', { sticky: true });
  } else if (sig.welcomes > 0 || s.attempt >= 3) {
    banner.set('reconnecting', `Cannot reach the host at ${new URL(base).host}. Retrying…`, { sticky: true, level: 'error' });
  }
});

sig.on('closing', () => {
  const text =
    state.mode === 'meeting'
      ? 'The host is shutting down. The call goes on; reconnecting when the host is back…'
      : 'The host is shutting down. Reconnecting when it is back…';
  banner.set('closing', text, { sticky: true });
});

sig.on('welcome', (msg, { resumed }) => {
  banner.clear('reconnecting');
  banner.clear('closing');
  byId('host-name').textContent = msg.host?.name ? `on ${msg.host.name}` : '';
  if (state.mode === 'meeting' && state.room) {
    // back after a drop: rejoin the same room (recreated if the host restarted)
    if (!resumed) mesh.closeAll(); // the others knew me by my old id
    state.pending = { kind: 'rejoin', roomId: state.room.id, passcode: state.room.passcode };
    sendJoin(state.room.id, state.room.passcode, { name: state.room.name, token: state.room.token });
    return;
  }
  sig.send({ type: 'list-rooms', watch: true });
  if (state.pending && state.pending.kind === 'join') {
    sendJoin(state.pending.roomId, state.pending.passcode, null);
  } else if (state.pending) {
    state.pending = null;
    lobby.setBusy(false);
  } else {
    maybeAutojoin();
  }
});

/** `?autojoin=1`: join as soon as the host answered and the devices are open. */
function maybeAutojoin() {
  if (!state.autojoin || !state.mediaReady || !sig.connected) return;
  state.autojoin = false;
  join(state.prejoinRoom, state.prejoinPasscode);
}

sig.on('rooms', (msg) => {
  state.rooms = msg.rooms || [];
  lobby.renderRooms(state.rooms);
  if (state.mode === 'prejoin') {
    const r = state.rooms.find((x) => x.id === state.prejoinRoom);
    if (r) lobby.showPrejoin(r.id, r.name);
  }
});

sig.on('room-created', (msg) => {
  const passcode = state.pending?.passcode || '';
  state.pending = null;
  join(msg.room.id, passcode);
});

sig.on('existing-peers', onExistingPeers);
sig.on('peer-joined', (msg) => {
  if (state.mode === 'meeting') mesh.join(msg.peer);
});
sig.on('peer-updated', (msg) => {
  if (state.mode !== 'meeting') return;
  if (msg.peer.id === state.you?.id) {
    state.you = msg.peer;
    syncLocal();
  } else {
    mesh.updated(msg.peer);
  }
});
sig.on('peer-left', (msg) => {
  if (state.mode === 'meeting') mesh.left(msg.peer_id, msg.reason);
});
/** signals that arrive while a join is under way, replayed once in the room */
/** @type {any[]} */
let earlySignals = [];
sig.on('signal', (msg) => {
  if (state.mode === 'meeting' && !state.pending) mesh.signal(msg.from, msg.data);
  else if (state.pending && earlySignals.length < 200) earlySignals.push(msg);
});
sig.on('error', (msg) => onHostError(msg));

/** @param {any} msg an `error` frame */
async function onHostError(msg) {
  const pending = state.pending;
  const code = String(msg.code || 'error');
  console.warn('moim: host error', msg);
  switch (code) {
    case 'wrong-passcode': {
      if (!pending) break;
      state.pending = null;
      const again = await askPasscode(
        pending.passcode ? 'That passcode is not right. Try again:' : 'This meeting is locked. Enter its passcode:',
      );
      lobby.setBusy(false);
      if (again === null) {
        banner.set('wrong-passcode', 'This meeting needs the right passcode to join.', { level: 'error' });
        if (pending.kind === 'rejoin') dropOut();
        return;
      }
      if (pending.kind === 'rejoin' && state.room) {
        state.room.passcode = again;
        state.pending = { ...pending, passcode: again };
        sendJoin(pending.roomId, again, { name: state.room.name, token: state.room.token });
      } else {
        join(pending.roomId, again);
      }
      return;
    }
    case 'room-full': {
      const cap = typeof msg.capacity === 'number' ? msg.capacity : state.room?.capacity;
      banner.set('room-full', `This meeting is full: it holds at most ${cap ?? 'its maximum of'} people. Try again when someone leaves.`, { level: 'error' });
      break;
    }
    case 'no-such-room':
      banner.set(
        'no-such-room',
        `There is no meeting ${pending?.roomId ? `“${pending.roomId}” ` : ''}on this host. Check the id or link; it may have ended.`,
        { level: 'error' },
      );
      break;
    case 'bad-token':
      banner.set('bad-token', 'This meeting could not be restored after the host restarted.', { level: 'error' });
      break;
    case 'already-in-room':
      if (pending && pending.kind === 'rejoin') {
        // the host kept my place: carry on with the connections I have
        state.pending = null;
        if (state.room) mesh.enter(sig.peerId, sig.welcome?.ice_servers || [], [...mesh.infos.values()]);
        banner.clear('reconnecting');
        return;
      }
      if (pending && pending.kind === 'join') {
        sig.send({ type: 'leave' });
        sendJoin(pending.roomId, pending.passcode, null);
        return;
      }
      break;
    case 'not-in-room':
      if (state.mode === 'meeting' && state.room && !pending && sig.connected) {
        state.pending = { kind: 'rejoin', roomId: state.room.id, passcode: state.room.passcode };
        sendJoin(state.room.id, state.room.passcode, { name: state.room.name, token: state.room.token });
      }
      return;
    case 'unknown-peer':
      return; // a signal for someone who just left
    case 'invalid-field':
      banner.set(code, `${fieldName(msg.field)}: ${msg.message || 'not accepted by the host.'}`, { level: 'error' });
      break;
    case 'too-many-rooms':
      banner.set(code, 'This host holds as many meetings as it allows. Join an existing one, or try later.', { level: 'error' });
      break;
    case 'rate-limited':
      banner.set(code, 'Too many messages went to the host at once; reconnecting.', { level: 'warn' });
      break;
    default:
      banner.set('error', msg.message || `The host refused a request (${code}).`, { level: 'error' });
  }
  if (pending) {
    state.pending = null;
    lobby.setBusy(false);
    if (pending.kind === 'rejoin') dropOut();
  }
}

/** @param {string} field */
function fieldName(field) {
  return { name: 'Name', passcode: 'Passcode', room: 'Meeting id' }[field] || 'A field';
}

/** The room cannot be re-entered after a reconnection: leave it, keep the banner. */
function dropOut() {
  const roomId = state.room?.id || '';
  const keep = banner.entries.slice();
  leave();
  for (const e of keep) banner.set(e.code, e.text, e);
  if (roomId) {
    history.replaceState({}, '', `/j/${encodeURIComponent(roomId)}`);
    route();
  }
}

function cannotReach() {
  banner.set('reconnecting', `Cannot reach the host at ${new URL(base).host}. Retrying…`, { sticky: true, level: 'error' });
}

// ---------------------------------------------------------------- mesh → views

mesh.on('peer-added', (info) => {
  meeting.addTile(info.id, info);
  // Without WebRTC no connection will ever start: say what the tile is, not "connecting".
  if (!webrtc) meeting.setState(info.id, 'presence');
  meeting.setRoom(state.room?.name || '', mesh.size);
});
mesh.on('peer-info', (info) => meeting.setInfo(info.id, info));
mesh.on('peer-removed', (id) => {
  meeting.removeTile(id);
  speaking.unwatch(id);
  if (state.room) meeting.setRoom(state.room.name, mesh.size);
});
mesh.on('peer-state', (id, s) => meeting.setState(id, s));
mesh.on('stream', (id, stream) => {
  meeting.setStream(id, stream);
  speaking.watch(id, stream);
});
mesh.on('channel-open', (id) => chat.peerOpened(id));
mesh.on('data', (id, msg) => chat.receive(id, msg));
sig.on('chat', (m) => chat.receive(m.from, { t: 'chat', id: m.id, name: m.name, time: m.time, text: m.text }));
mesh.on('size', (n) => {
  if (state.room) meeting.setRoom(state.room.name, n);
});

chat.on('message', (msg, { mine }) => chatView.add(msg, mine));
speaking.on('speaking', (id, on) => meeting.setSpeaking(id === 'local' ? localTileId() : id, on));
stats.on('stats', (all) => {
  mesh.adapt(all);
  for (const [id, q] of all) meeting.setQuality(id, q);
  if (all.size) meeting.setQuality(localTileId(), uplink(all));
});

// ---------------------------------------------------------------- join link

/** The link guests on the LAN open: the meeting's own host, its fingerprint and passcode. */
function meetingUrl() {
  if (!state.room && !state.prejoinRoom) return location.href;
  const roomId = state.room?.id || state.prejoinRoom;
  const passcode = state.room?.passcode || '';
  const remote = via ? state.hosts.find((h) => h.id === via) : null;
  if (remote && remote.url) return joinLink(remote.url, roomId, passcode, remote.fingerprint || '');
  const local = /^(localhost|127\.|\[::1\])/.test(location.hostname);
  const origin = state.selfUrl && local ? state.selfUrl : base;
  const fp = state.selfFingerprint || fingerprintFromFragment(location.hash);
  return joinLink(origin, roomId, passcode, origin.startsWith('https:') ? fp : '');
}

/** Show the invitation: the link, its QR code (drawn by the host) and the fingerprint. */
function showInvite(url) {
  const dialog = /** @type {HTMLDialogElement} */ (byId('invite'));
  byId('invite-link').textContent = url;
  /** @type {HTMLImageElement} */ (byId('invite-qr')).src = `/api/qr.svg?text=${encodeURIComponent(url)}`;
  const fp = fingerprintFromFragment(new URL(url).hash);
  byId('invite-fp').textContent = fp ? formatFingerprint(fp) : 'none (plain HTTP)';
  if (!dialog.open) dialog.showModal?.();
}

async function copyLink() {
  const url = meetingUrl();
  showInvite(url);
  let ok = false;
  try {
    await navigator.clipboard.writeText(url);
    ok = true;
  } catch {
    const ta = document.createElement('textarea');
    ta.value = url;
    ta.setAttribute('readonly', '');
    ta.style.position = 'fixed';
    ta.style.opacity = '0';
    document.body.append(ta);
    ta.select();
    try {
      ok = document.execCommand('copy');
    } catch {
      ok = false;
    }
    ta.remove();
  }
  banner.set('copied', ok ? `Join link copied: ${url}` : `Copy this join link: ${url}`, { level: 'info' });
  byId('copy-link').dataset.link = url;
  if (ok) setTimeout(() => banner.clear('copied'), 5000);
}

// ---------------------------------------------------------------- meetings on this network

let hostsTimer = /** @type {ReturnType<typeof setTimeout>|null} */ (null);
let hostsGone = false;

async function pollHosts() {
  hostsTimer = null;
  if (hostsGone) return;
  try {
    const res = await fetch(new URL('/api/hosts', base), { cache: 'no-store', headers: { accept: 'application/json' } });
    if (res.status === 404) {
      hostsGone = true;
      lobby.renderHosts(null);
      return;
    }
    if (res.ok) {
      /** @type {{hosts: HostInfo[]}} */
      const body = await res.json();
      const hosts = Array.isArray(body.hosts) ? body.hosts : [];
      const self = hosts.find((h) => h.self);
      if (self && self.url) state.selfUrl = self.url.replace(/\/+$/, '');
      if (self) state.selfFingerprint = self.fingerprint || '';
      state.hosts = hosts;
      if (state.mode === 'lobby') lobby.renderHosts(hosts);
    }
  } catch {
    /* the host is unreachable: the banner says so already */
  }
  if (!hostsGone) hostsTimer = setTimeout(pollHosts, HOSTS_EVERY_MS);
}

// ---------------------------------------------------------------- routing

function route() {
  if (state.mode === 'meeting') {
    const id = roomFromPath(location.pathname);
    if (!state.room || id !== state.room.id) leave();
    return;
  }
  const roomId = roomFromPath(location.pathname);
  if (roomId) {
    state.mode = 'prejoin';
    state.prejoinRoom = roomId;
    state.prejoinPasscode = passcodeFromFragment(location.hash);
    const known = state.rooms.find((r) => r.id === roomId);
    lobby.showPrejoin(roomId, known?.name);
    checkFingerprint();
  } else {
    state.mode = 'lobby';
    state.prejoinRoom = '';
    lobby.showLobby();
  }
  document.body.dataset.view = state.mode;
  if (!hostsTimer && !hostsGone) pollHosts();
}

window.addEventListener('popstate', () => route());

// ---------------------------------------------------------------- certificate check

/**
 * On HTTPS, show guests the fingerprint their invitation carries and the one this host says it
 * has, with how to compare it with what the browser shows: the host's certificate is
 * self-signed, so the browser warned, and this is how a person knows it is the right host.
 */
async function checkFingerprint() {
  const box = byId('prejoin-fp');
  if (location.protocol !== 'https:') {
    box.hidden = true;
    return;
  }
  const fromLink = fingerprintFromFragment(location.hash);
  let fromHost = '';
  try {
    const info = await (await fetch('/api/info', { cache: 'no-store' })).json();
    fromHost = String(info.fingerprint || '');
  } catch {
    /* shown as unknown */
  }
  const shown = fromLink || fromHost;
  byId('prejoin-fp-value').textContent = shown ? formatFingerprint(shown) : 'unknown';
  const verdict = byId('prejoin-fp-verdict');
  if (fromLink && fromHost && fromLink !== fromHost) {
    verdict.textContent = 'This does NOT match the certificate this host reports. Do not join: ask the person who invited you for a new link.';
    verdict.dataset.match = 'no';
  } else if (fromLink && fromHost) {
    verdict.textContent = 'It matches the certificate this host reports.';
    verdict.dataset.match = 'yes';
  } else {
    verdict.textContent = '';
    delete verdict.dataset.match;
  }
  box.hidden = false;
}

// ---------------------------------------------------------------- no WebRTC

/** @param {string} url */
function announceNoWebRTC(url) {
  const action = config.openExternal ? { label: 'Open in the system browser', run: () => config.openExternal(url) } : undefined;
  banner.set(
    'no-webrtc',
    'This browser cannot make video calls (it has no WebRTC). You can still join to see who is here; open the meeting link in Chrome, Edge, Firefox or Safari to see and hear them.',
    { level: 'error', sticky: true, action },
  );
  window.dispatchEvent(new CustomEvent('moim:no-webrtc', { detail: { url } }));
}

// ---------------------------------------------------------------- debug / test hooks

/** @type {any} */ (window).moim = {
  state() {
    return {
      peerId: sig.peerId,
      room: state.room ? state.room.id : null,
      roomName: state.room ? state.room.name : null,
      mode: state.mode,
      people: state.room ? mesh.size : 0,
      peers: [...mesh.infos.values()].map((i) => ({
        id: i.id,
        name: i.name,
        state: mesh.peers.get(i.id)?.state || (webrtc ? 'connecting' : 'failed'),
        audio: i.audio,
        video: i.video,
      })),
    };
  },
  /** 'websocket' or 'sse': the signaling transport in use. */
  transport() {
    return sig.transport;
  },
  pcStates() {
    return Object.fromEntries([...mesh.peers].map(([id, p]) => [id, p.pc.connectionState]));
  },
  get localStream() {
    return media.stream;
  },
  /** The encodings each video/audio sender uses now (for the bandwidth-budget tests). */
  senderParams() {
    return Object.fromEntries(
      [...mesh.peers].map(([id, p]) => [
        id,
        Object.fromEntries(
          ['audio', 'video'].map((k) => {
            const t = p.transceiver(/** @type {'audio'|'video'} */ (k));
            return [k, t ? t.sender.getParameters().encodings : null];
          }),
        ),
      ]),
    );
  },
  caps: () => mesh.caps(),
  meetingUrl,
  noWebRTC: !webrtc,
  signaling: sig,
  mesh,
  media,
  chat,
  stats,
};

// ---------------------------------------------------------------- start

document.addEventListener('click', () => {
  speaking.resume();
  if (banner.has('autoplay')) {
    meeting.unmuteBlocked();
    banner.clear('autoplay');
  }
});
window.addEventListener('pagehide', () => mesh.broadcast({ t: 'bye' }));

async function main() {
  state.name = (params.get('name') || load(STORE.name)).trim().slice(0, 48);
  if (params.get('name')) save(STORE.name, state.name);
  lobby.setName(state.name);
  media.preferred.video = load(STORE.cam);
  media.preferred.audio = load(STORE.mic);
  const want = {
    video: params.get('cam') !== '0' && load(STORE.useCam) !== '0',
    audio: params.get('mic') !== '0' && load(STORE.useMic) !== '0',
  };
  lobby.setUse(want);
  route();
  state.autojoin = params.get('autojoin') === '1' && state.mode === 'prejoin' && !!state.name;
  sig.start();
  if (!webrtc) {
    announceNoWebRTC(state.prejoinRoom ? joinLink(base, state.prejoinRoom, state.prejoinPasscode) : location.href);
    media.available = false;
  } else {
    await startMedia(want);
  }
  state.mediaReady = true;
  maybeAutojoin();
}

main();
