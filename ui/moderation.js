// Room control on the client: my role, the room's settings, who waits at the door, what the
// moderators ask of me, and the verification code of each pair. No DOM: it is given the
// parts it needs and says what changed through events; the view (view/moderation.js) shows
// it. The host is the authority: this only asks (docs/protocol.md, "Room control").
//
// Events:
//   'role'      (moderator: boolean)
//   'settings'  (settings)
//   'waiting'   (peers: PeerInfo[], knocked: PeerInfo[])  knocked: new since the last list
//   'door'      ('waiting'|'admitted'|'turned-away'|null, roomName)  my own wait
//   'asked'     (action, byName)  a moderator's request to me (mute, ask-unmute, stop-video, stop-share)
//   'out'       ('removed'|'ended', byName, message)
//   'verified'  (peerId)

import { Emitter } from './emitter.js';
import { shortCodeOf } from './short-code.js';

/** @typedef {import('./protocol.js').PeerInfo} PeerInfo */
/** @typedef {import('./protocol.js').RoomSettings} RoomSettings */

/**
 * The text both sides of a pair derive their code from: every `a=fingerprint` line of the two
 * descriptions, sorted, so the offerer and the answerer get the same input.
 * @param {string} localSdp
 * @param {string} remoteSdp
 */
export function fingerprintInput(localSdp, remoteSdp) {
  const lines = `${localSdp}\n${remoteSdp}`
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.toLowerCase().startsWith('a=fingerprint:'));
  return [...new Set(lines)].sort().join('\n');
}

/**
 * @typedef {object} ControlDeps
 * @property {(frame: import('./protocol.js').ClientMessage) => boolean} send
 * @property {(id: string) => RTCPeerConnection|null|undefined} pcOf the connection to a peer
 */

export class Moderation extends Emitter {
  /** @param {ControlDeps} deps */
  constructor(deps) {
    super();
    this.deps = deps;
    this.moderator = false;
    /** @type {RoomSettings} */
    this.settings = { waiting_room: false, closed: false, moderators_unmute: false };
    /** @type {PeerInfo[]} */
    this.waitingList = [];
    /** @type {Set<string>} peers whose code was confirmed this call */
    this.verified = new Set();
    /** @type {string} my role token for this room, for `recreate.role` */
    this.roleToken = '';
  }

  /**
   * Listen to the host's messages of the area.
   * @param {import('./emitter.js').Emitter} sig
   */
  attach(sig) {
    sig.on('waiting', (/** @type {import('./protocol.js').Waiting} */ m) => this.emit('door', 'waiting', m.name));
    sig.on('turned-away', () => this.emit('door', 'turned-away', ''));
    sig.on('waiting-list', (/** @type {import('./protocol.js').WaitingList} */ m) => this._list(m.peers));
    sig.on('promoted', (/** @type {import('./protocol.js').Promoted} */ m) => {
      this.roleToken = m.role_token;
      this._role(true);
    });
    sig.on('room-settings', (/** @type {import('./protocol.js').RoomSettingsIn} */ m) => {
      this.settings = m.settings;
      this.emit('settings', m.settings);
    });
    sig.on('moderation', (/** @type {import('./protocol.js').Moderation} */ m) => this.emit('asked', m.action, m.name));
    sig.on('removed', (/** @type {import('./protocol.js').Removed} */ m) => this.emit('out', 'removed', m.name, ''));
    sig.on('meeting-ended', (/** @type {import('./protocol.js').MeetingEnded} */ m) => this.emit('out', 'ended', m.name, m.message));
  }

  /**
   * In the room (`existing-peers`).
   * @param {import('./protocol.js').ExistingPeers} msg
   */
  entered(msg) {
    this.emit('door', 'admitted', msg.room.name);
    if (msg.settings) {
      this.settings = msg.settings;
      this.emit('settings', msg.settings);
    }
    if (msg.role_token) this.roleToken = msg.role_token;
    this._role(!!msg.you.moderator);
  }

  /** Out of the room: nothing of it is kept. */
  reset() {
    this.waitingList = [];
    this.verified.clear();
    this.roleToken = '';
    this._list([]);
    this._role(false);
  }

  /** @param {boolean} on */
  _role(on) {
    if (on === this.moderator) return;
    this.moderator = on;
    this.emit('role', on);
  }

  /** @param {PeerInfo[]} peers */
  _list(peers) {
    const before = new Set(this.waitingList.map((p) => p.id));
    this.waitingList = peers;
    this.emit('waiting', peers, peers.filter((p) => !before.has(p.id)));
  }

  // ------------------------------------------------------------- what a moderator asks

  /** @param {string} [peer] none: everyone waiting */
  admit(peer) {
    this.deps.send(peer ? { type: 'admit', peer } : { type: 'admit' });
  }

  /** @param {string} [peer] none: everyone waiting */
  turnAway(peer) {
    this.deps.send(peer ? { type: 'turn-away', peer } : { type: 'turn-away' });
  }

  /**
   * @param {'mute'|'ask-unmute'|'stop-video'|'stop-share'|'remove'|'make-moderator'} action
   * @param {string} [peer] none (mute, ask-unmute only): everyone else
   */
  act(action, peer) {
    if (action === 'mute' || action === 'ask-unmute') {
      this.deps.send(peer ? { type: action, peer } : { type: action });
    } else if (peer) {
      this.deps.send({ type: action, peer });
    }
  }

  /** @param {Partial<RoomSettings>} change */
  change(change) {
    this.deps.send({ type: 'room-settings', ...change });
  }

  /** @param {string} message one sentence for everyone */
  end(message) {
    const text = message.trim().slice(0, 200);
    this.deps.send(text ? { type: 'end-meeting', message: text } : { type: 'end-meeting' });
  }

  // ------------------------------------------------------------- verification codes

  /**
   * The code of my pair with `peer`, from the descriptions my side applied; null before both
   * are set.
   * @param {string} peer
   * @returns {Promise<string|null>}
   */
  async codeWith(peer) {
    const pc = this.deps.pcOf(peer);
    const local = pc?.localDescription?.sdp;
    const remote = pc?.remoteDescription?.sdp;
    if (!local || !remote) return null;
    const input = fingerprintInput(local, remote);
    if (!input) return null;
    return shortCodeOf(input);
  }

  /** @param {string} peer the code was read out and matched */
  confirm(peer) {
    this.verified.add(peer);
    this.emit('verified', peer);
  }
}
