// moim's browser client: the wiring. It connects the session (where the page is, which host it
// talks to) to the socket, the lobby and the call (call.js), routes the page's address, and
// turns what goes wrong into the sentences of errors.js. No DOM of its own. See docs/client.md.

import { Signaling, wsUrlFor } from './signaling.js';
import { Session } from './session.js';
import { EarlySignals } from './early-signals.js';
import { Call } from './call.js';
import { MeetingFeatures } from './features.js';
import { Directory } from './directory.js';
import { Mesh } from './mesh.js';
import { Media } from './media.js';
import { Chat } from './chat.js';
import { Stats } from './stats.js';
import { SpeakingDetector } from './speaking.js';
import * as say from './errors.js';
import { extendTestHooks, installTestHooks } from './test-hooks.js';
import { joinLink, parseJoinInput, passcodeFromFragment, roomFromPath } from './room-id.js';
import { Banner } from './view/banner.js';
import { LobbyView } from './view/lobby.js';
import { MeetingView } from './view/meeting.js';
import { ChatView } from './view/chat.js';
import { InviteView, copyText } from './view/invite.js';
import { FingerprintBox } from './view/fingerprint.js';
import { askPasscode } from './view/dialog.js';
import { markView, onAnyClick } from './view/dom.js';
import { startLanguage, t } from './i18n.js';
import { LanguageMenu } from './view/language-menu.js';
import { FirstMinutes } from './first.js';
import { startRoomControl } from './room-control.js';
import { MeetingTools } from './meeting-tools.js';

// The language first: every view below writes its words with t() as it is built.
startLanguage();

/**
 * What the desktop shell may set before this script runs (an initialization script):
 *   base          the host's http(s) origin when the page is not served by the host itself
 *   openExternal  opens a URL in the system browser (offered when this webview lacks WebRTC)
 * @typedef {{base?: string, openExternal?: (url: string) => void}} MoimConfig
 */

/** @type {MoimConfig} */
const config = /** @type {any} */ (window).moimConfig || {};
const webrtc = typeof RTCPeerConnection !== 'undefined';
const params = new URLSearchParams(location.search);
const base = config.base || location.origin;
const VIA = /^[0-9a-f]{16}$/;

const sig = new Signaling(wsUrlFor(base, null));
if (params.get('transport') === 'sse') sig.useSse();
const media = new Media();
const mesh = new Mesh({ sendSignal: (to, data) => sig.send({ type: 'signal', to, data }), sendHost: (m) => sig.send(m), webrtc });
const chat = new Chat({ broadcast: (m) => mesh.broadcast(m), sendTo: (id, m) => mesh.sendTo(id, m), relay: (m) => sig.send(m) });
const stats = new Stats(() => new Map([...mesh.peers].map(([id, p]) => [id, p.pc])));
const speaking = new SpeakingDetector();
const early = new EarlySignals();
/** @type {Session} */
const session = new Session({
  send: (frame) => sig.send(frame),
  connected: () => sig.connected,
  joinFields: () => ({ name: call.name, ...call.on() }),
  roleToken: () => control.roleToken,
});

const directory = new Directory();
const start = { autojoin: false, mediaReady: false };

const banner = new Banner();
/** @param {say.Notice} n */
const notify = (n) => banner.set(n.code, () => n.text, { level: n.level, sticky: n.sticky });
const cannotReach = () => notify(say.cannotReach(new URL(base).host));
const invite = new InviteView();
const fingerprint = new FingerprintBox();

/** @type {LobbyView} */
const lobby = new LobbyView({
  onName: (name) => call.rename(name),
  onUse: (kind, want) => call.use(kind, want),
  onDevice: (kind, deviceId) => call.device(kind, deviceId),
  onCreate(req) {
    if (!req.name) return;
    if (!sig.connected) return cannotReach();
    first.beforeJoin().then(() => session.create(req));
  },
  onJoinInput(input, passcode) {
    const parsed = parseJoinInput(input);
    if (!parsed.id) return notify(say.BAD_JOIN_INPUT);
    join(parsed.id, passcode || parsed.passcode);
  },
  onJoinRoom: (room, passcode) => join(room.id, passcode),
  onJoinHostRoom(host, room) {
    if (host.self) return join(room.id, '');
    // Stay on this origin: this host relays the signaling to the other one (docs/discovery.md).
    history.pushState({}, '', `/j/${encodeURIComponent(room.id)}?via=${encodeURIComponent(host.id)}`);
    route();
  },
  onPrejoin: () => join(session.prejoin.roomId, session.prejoin.passcode),
});

const meeting = new MeetingView({
  onToggleMic: () => call.toggle('audio'),
  onToggleCam: () => call.toggle('video'),
  onLeave: () => session.leave(),
  onCopyLink: () => copyLink(),
  onAutoplayBlocked: () => notify(say.AUTOPLAY),
  onTileSizes: (sizes, pinned) => mesh.setTileSizes(sizes, pinned),
});

const chatView = new ChatView({ onSend: (text) => chat.send(call.you?.name || call.name, text) });
/** @type {Call} */
const call = new Call({ session, sig, mesh, media, chat, stats, speaking, early, meeting, chatView, lobby, webrtc, banner });
const first = new FirstMinutes({ session, sig, media, call, lobby, invite, banner, directory, join, route, base, webrtc });
const meetingUrl = () => first.meetingUrl();
const features = new MeetingFeatures({ session, sig, mesh, media, meeting, chatView, speaking, call, banner }); // share, hands, reactions, people
const control = startRoomControl({ sig, session, mesh, media, call, banner, people: features.people, openPeople: () => features.setPeople(true) });

// ---------------------------------------------------------------- the session

/** @param {string} roomId @param {string} passcode @returns {Promise<void>} */
async function join(roomId, passcode) {
  if (session.inRoom) return;
  if (!call.name) return lobby.focusName();
  speaking.resume();
  await first.beforeJoin();
  if (!session.inRoom && !session.pending && !session.join(roomId, passcode)) return cannotReach();
}

session.on('phase', () => markView(session.view));
session.on('busy', (/** @type {boolean} */ busy) => lobby.setBusy(busy));
session.on('join', (/** @type {import('./protocol.js').Join} */ msg) => {
  mesh.mark('join');
  // a first join (typed, clicked or right after creating the room), not a rejoin: a window
  // without WebRTC offers the meeting to a browser that can call
  if (!webrtc && !msg.recreate) announceNoWebRTC(joinLink(base, msg.room));
});
session.on('connect', (/** @type {string|null} */ via) => {
  // another host's session (or back to this one's): a new peer there, nothing to resume
  directory.sessionChanged();
  early.clear();
  lobby.setHostName('');
  sig.connectTo(wsUrlFor(base, via));
});

session.on('entered', (/** @type {import('./protocol.js').ExistingPeers} */ msg, /** @type {{first: boolean}} */ { first }) => {
  for (const code of say.CLEARED_ON_JOIN) banner.clear(code);
  const via = new URLSearchParams(location.search).get('via');
  if (first && (location.pathname !== `/j/${encodeURIComponent(msg.room.id)}` || via !== session.via)) {
    history.pushState({ room: msg.room.id }, '', session.path() + location.hash);
  }
  call.enter(msg, first);
});

session.on('left', (/** @type {{dropped: boolean, roomId: string}} */ { dropped, roomId }) => {
  const keep = banner.entries.slice();
  call.end();
  for (const code of say.CLEARED_ON_LEAVE) banner.clear(code);
  if (dropped && roomId) {
    // the room cannot be re-entered: its pre-join page, on the same host, with the reason
    for (const e of keep) banner.set(e.code, e.text, e);
    const query = session.via ? `?via=${encodeURIComponent(session.via)}` : '';
    history.replaceState({}, '', `/j/${encodeURIComponent(roomId)}${query}`);
  } else if (location.pathname !== '/') {
    history.pushState({}, '', '/');
  }
  route();
});

// ---------------------------------------------------------------- host events

sig.on('status', (s) => {
  if (s.state === 'open') return;
  if (session.inRoom) mesh.offline();
  if (s.state !== 'reconnecting' || banner.has('closing')) return;
  if (session.inRoom) notify(say.LOST_IN_CALL);
  else if (sig.welcomes > 0 || s.attempt >= 3) cannotReach();
});
sig.on('closing', () => notify(say.closing(session.inRoom)));
sig.on('welcome', (msg, { resumed }) => {
  banner.clear('reconnecting');
  banner.clear('closing');
  lobby.setHostName(msg.host?.name || '');
  if (session.welcomed() === 'rejoin') {
    if (!resumed) mesh.closeAll(); // the others knew me by my old id
  } else {
    maybeAutojoin();
  }
});

/** `?autojoin=1`: join as soon as the host answered and the devices are open. */
function maybeAutojoin() {
  if (!start.autojoin || !start.mediaReady || !sig.connected || session.phase !== 'prejoin') return;
  start.autojoin = false;
  join(session.prejoin.roomId, session.prejoin.passcode);
}

sig.on('hosts', (/** @type {import('./protocol.js').Hosts} */ msg) => {
  if (directory.update(msg, session.via) && directory.home) lobby.renderDirectory(directory.home);
  if (session.phase === 'prejoin') first.showPrejoin();
});
sig.on('room-created', (msg) => session.created(msg.room.id));
sig.on('existing-peers', (msg) => session.entered(msg));
sig.on('error', async (/** @type {import('./protocol.js').ErrorMessage} */ msg) => {
  console.warn('moim: host error', msg);
  const pending = session.pending;
  const what = session.hostError(msg.code, msg.got);
  if (what === 'kept') {
    call.resume();
    banner.clear('reconnecting');
  } else if (what === 'ask' && pending) {
    const again = await askPasscode(say.passcodePrompt(!!pending.passcode));
    if (again !== null) return session.retry(pending, again);
    notify(say.PASSCODE_NEEDED);
    session.refused(pending);
  } else if (what === 'refused') {
    const notice = say.hostErrorNotice(msg, { roomId: pending?.roomId, capacity: session.room?.capacity });
    if (notice) notify(notice);
    session.refused();
  }
});

// ---------------------------------------------------------------- links and routes

async function copyLink() {
  const url = first.invite();
  const ok = await copyText(url);
  notify(say.copied(ok, url));
  meeting.setCopied(url);
  if (ok) setTimeout(() => banner.clear('copied'), 5000);
}

/** Show what the address says: the lobby, a room's pre-join page, or (still) the meeting. */
function route() {
  const roomId = roomFromPath(location.pathname);
  if (session.inRoom) {
    if (roomId !== session.room?.id) session.leave();
    return;
  }
  const via = new URLSearchParams(location.search).get('via');
  session.open({ roomId, passcode: passcodeFromFragment(location.hash), via: via && VIA.test(via) ? via : null });
  if (session.phase === 'prejoin') {
    first.showPrejoin();
    fingerprint.check(location.hash);
  } else {
    lobby.showLobby();
    if (directory.home) lobby.renderDirectory(directory.home);
  }
  markView(session.view);
}

window.addEventListener('popstate', () => route());

/** @param {string} url the meeting's link */
function announceNoWebRTC(url) {
  const open = config.openExternal;
  const action = open ? { label: () => t('banner.openBrowser'), run: () => open(url) } : undefined;
  banner.set(say.NO_WEBRTC.code, () => say.NO_WEBRTC.text, { level: say.NO_WEBRTC.level, sticky: true, action });
  window.dispatchEvent(new CustomEvent('moim:no-webrtc', { detail: { url } }));
}

installTestHooks({ session, signaling: sig, mesh, media, chat, stats, speaking, webrtc, meetingUrl });
extendTestHooks({ control }); // room control: my role, the room's settings, who waits
new MeetingTools({ session, sig, mesh, media, chatView, call }); // files and recording

// ---------------------------------------------------------------- start

onAnyClick(() => {
  speaking.resume();
  if (banner.has('autoplay')) {
    meeting.unmuteBlocked();
    banner.clear('autoplay');
  }
});
window.addEventListener('pagehide', () => mesh.broadcast({ t: 'bye' }));

async function main() {
  new LanguageMenu();
  call.restore(params);
  route();
  const open = first.start();
  start.autojoin = params.get('autojoin') === '1' && session.phase === 'prejoin' && !!call.name;
  sig.start();
  if (!webrtc) {
    announceNoWebRTC(session.prejoin.roomId ? joinLink(base, session.prejoin.roomId, session.prejoin.passcode) : location.href);
    media.available = false;
  } else if (open) {
    await first.beforeJoin();
  }
  start.mediaReady = true;
  maybeAutojoin();
}

main();
