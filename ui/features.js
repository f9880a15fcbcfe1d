// The meeting beyond the call (call.js): my screen share and the others' screens on the stage,
// raised hands, reactions, the people panel, the active speaker for the speaker view, and the
// keyboard shortcuts. Wiring only: the views own their DOM, share.js the capture, mesh.js the
// sending; the room learns my screen and hand through my presence (`update {screen, hand}`)
// and reactions through the host (`react` → `reaction`). See docs/client.md.

import { ScreenShare, shareSupport } from './share.js';
import { PeopleView } from './view/people.js';
import { Shortcuts } from './view/shortcuts.js';
import { SETTINGS, load, save } from './settings.js';
import { t } from './i18n.js';

/** A reaction at most this often from me (the host allows 5 at once, then one per 400 ms). */
export const REACT_EVERY_MS = 400;
/** Speaking this long in all with my hand up lowers it (when the setting says so). */
export const SPOKE_MS = 1500;

/**
 * @typedef {object} FeatureParts
 * @property {import('./session.js').Session} session
 * @property {import('./signaling.js').Signaling} sig
 * @property {import('./mesh.js').Mesh} mesh
 * @property {import('./media.js').Media} media
 * @property {import('./view/meeting.js').MeetingView} meeting
 * @property {import('./view/chat.js').ChatView} chatView
 * @property {import('./speaking.js').SpeakingDetector} speaking
 * @property {import('./call.js').Call} call
 * @property {import('./view/banner.js').Banner} banner
 */

export class MeetingFeatures {
  /** @param {FeatureParts} p */
  constructor(p) {
    this.p = p;
    const { session, sig, mesh, meeting, speaking } = p;
    this.share = new ScreenShare();
    /** @type {Map<string, Map<string, MediaStream>>} screens received, by peer and stream id */
    this.screens = new Map();
    this.lastReact = 0;
    /** @type {ReturnType<typeof setTimeout>|null} */
    this.spokeTimer = null;
    /** when my current speech began (0: not speaking), and how long I spoke since my hand went up */
    this.speakingSince = 0;
    this.spokenMs = 0;
    this.wasUp = false;
    /** set while a people-panel refresh is queued */
    this.pending = false;
    this.autoLower = load(SETTINGS.handAutoLower) !== '0';
    this.people = new PeopleView({
      onClose: () => this.setPeople(false),
      onAutoLower: (on) => {
        this.autoLower = on;
        save(SETTINGS.handAutoLower, on ? '1' : '0');
        this._armLower();
      },
    });
    this.people.setAutoLower(this.autoLower);
    meeting.bind({
      onShare: () => this.toggleShare(),
      onHand: () => this.raise(!this.handUp()),
      onReact: (emoji) => this.react(emoji),
      onPeople: () => this.setPeople(!this.people.open),
    });
    this._shareButton();

    this.share.on('change', (/** @type {MediaStream|null} */ stream) => this._myScreen(stream));
    this.share.on('problem', (/** @type {string} */ key) => p.banner.set('share', t(key), { level: 'warn' }));
    mesh.on('screen', (id, stream) => {
      let byStream = this.screens.get(id);
      if (!byStream) this.screens.set(id, (byStream = new Map()));
      byStream.set(stream.id, stream);
      this._theirScreen(id);
    });
    mesh.on('peer-info', (info) => this._theirScreen(info.id));
    mesh.on('peer-added', (info) => this._theirScreen(info.id));
    mesh.on('peer-removed', (id) => this.screens.delete(id));
    for (const ev of ['peer-added', 'peer-info', 'peer-removed', 'peer-state']) mesh.on(ev, () => this.refresh());
    sig.on('peer-updated', () => this.refresh());
    sig.on('reaction', (/** @type {import('./protocol.js').Reaction} */ m) => session.inRoom && meeting.stage.react(m.from, m.emoji));
    speaking.on('active', (id) => meeting.stage.setActive(id));
    speaking.on('speaking', (id, on) => id === 'local' && this._spoke(on));
    session.on('entered', () => {
      // after a host restart the room forgot my screen: say it again
      if (this.share.stream) sig.send({ type: 'update', screen: this.share.stream.id });
      this.refresh();
    });
    session.on('left', () => {
      this.share.stop();
      this.screens.clear();
      this.setPeople(false);
    });
    new Shortcuts(() => session.inRoom, {
      mic: () => p.call.toggle('audio'),
      cam: () => p.call.toggle('video'),
      share: () => this.toggleShare(),
      hand: () => this.raise(!this.handUp()),
      chat: () => p.chatView.setOpen(!p.chatView.open),
      people: () => this.setPeople(!this.people.open),
      grid: () => meeting.toggleGrid(),
      fullscreen: () => meeting.stage.fullscreen(null),
      close: () => meeting.closePopovers(),
    });
  }

  _shareButton() {
    const support = shareSupport();
    this.p.meeting.setShare(this.share.sharing, support.ok ? null : support.reason);
  }

  toggleShare() {
    const support = shareSupport();
    if (!support.ok) return this.p.banner.set('share', t(support.reason), { level: 'info' });
    this.share.toggle();
  }

  /** @param {MediaStream|null} stream my screen, or none */
  _myScreen(stream) {
    const { mesh, meeting, sig, session, call } = this.p;
    mesh.setScreen(stream);
    meeting.stage.setScreen(call.localId(), stream, call.you?.name || call.name, true);
    this._shareButton();
    if (session.inRoom) sig.send({ type: 'update', screen: stream ? stream.id : null });
  }

  /** Show the screen `id` shares now (its presence names the stream), or none. @param {string} id */
  _theirScreen(id) {
    const info = this.p.mesh.infos.get(id);
    if (!info) return;
    const stream = info.screen ? this.screens.get(id)?.get(info.screen) : null;
    this.p.meeting.stage.setScreen(id, stream || null, info.name || t('stage.someone'));
  }

  handUp() {
    return typeof this.p.call.you?.hand === 'number';
  }

  /** @param {boolean} up */
  raise(up) {
    if (!this.p.session.inRoom || up === this.handUp()) return;
    this.p.sig.send({ type: 'update', hand: up });
  }

  /** My voice (speaking.js), for "lower my hand when I speak". @param {boolean} on */
  _spoke(on) {
    const now = performance.now();
    if (on && !this.speakingSince) this.speakingSince = now;
    else if (!on && this.speakingSince) {
      this.spokenMs += now - this.speakingSince;
      this.speakingSince = 0;
    }
    this._armLower();
  }

  /** With my hand up and the setting on: once I have spoken SPOKE_MS in all, lower it. */
  _armLower() {
    const up = this.handUp();
    if (up && !this.wasUp) this.spokenMs = 0; // counted from the raise on
    this.wasUp = up;
    if (this.spokeTimer) clearTimeout(this.spokeTimer);
    this.spokeTimer = null;
    if (!up || !this.autoLower) {
      this.spokenMs = 0; // only speech with the hand up and the setting on counts
      return;
    }
    const now = performance.now();
    const total = this.spokenMs + (this.speakingSince ? now - this.speakingSince : 0);
    if (total >= SPOKE_MS && this.p.media.isOn('audio')) {
      this.spokenMs = 0;
      this.raise(false);
    } else if (this.speakingSince) {
      this.spokeTimer = setTimeout(() => this._armLower(), SPOKE_MS - total + 10);
    }
  }

  /** @param {string} emoji */
  react(emoji) {
    const now = performance.now();
    if (!this.p.session.inRoom || now - this.lastReact < REACT_EVERY_MS) return;
    this.lastReact = now;
    this.p.sig.send(/** @type {import('./protocol.js').React} */ ({ type: 'react', emoji }));
    this.p.meeting.stage.react(this.p.call.localId(), emoji);
  }

  /** @param {boolean} open */
  setPeople(open) {
    this.people.setOpen(open);
    this.p.meeting.setPeopleOpen(open);
    if (open) this.refresh();
  }

  /** Bring the people panel and my hand up to date (at most once per task). */
  refresh() {
    if (this.pending) return;
    this.pending = true;
    queueMicrotask(() => {
      this.pending = false;
      this._render();
    });
  }

  _render() {
    const { mesh, call, session, media, meeting } = this.p;
    if (!session.inRoom) return;
    const you = call.you;
    meeting.setHand(this.handUp());
    this._armLower();
    /** @type {import('./view/people.js').Person[]} */
    const people = [...mesh.infos.values()].map((i) => ({
      id: i.id,
      name: i.name,
      local: false,
      audio: i.audio,
      video: i.video,
      hand: typeof i.hand === 'number' ? i.hand : null,
      moderator: !!i.moderator,
      state: mesh.peers.get(i.id)?.state || (mesh.webrtc ? 'connecting' : 'presence'),
    }));
    if (you) {
      people.push({ id: you.id, name: you.name, local: true, audio: media.isOn('audio'), video: media.isOn('video'), hand: typeof you.hand === 'number' ? you.hand : null, moderator: !!you.moderator, state: 'connected' });
    }
    this.people.render(people);
  }
}
