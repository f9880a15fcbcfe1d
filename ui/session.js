// Where the page is in a meeting's life, and which host's signaling session is live. No DOM, no
// socket: it is given `send` and `connected` and says what changed through events, so its
// transitions are unit tested in node (ui/test/session.test.mjs).
//
//   lobby ──join/create──▶ joining ──existing-peers──▶ meeting ──leave──▶ left ──open──▶ lobby
//   prejoin ─┘    ▲  refused (back where it came from) │  ▲     socket back│
//                 └────────────────────────────────────┘  └─ rejoining ◀──┘ (refused: left)
//
// The live session: `via` is null for this host's own session, or another host's id when this
// host relays the signaling to it (docs/discovery.md). It follows the meeting: a room opened
// through `?via=` connects to that host, the lobby always talks to this host. Each change is
// an event `connect` (via); the wiring points the socket there.
//
// Events:
//   'phase'    (phase, previous)
//   'connect'  (via)               the live session must change to this host (null: this one)
//   'busy'     (busy: boolean)     a join or create is under way (or no longer)
//   'entered'  (msg, {first})      in the room (first: from outside it, not a rejoin)
//   'left'     ({dropped, roomId}) out of the room; dropped: a rejoin was refused
//   'join'     (frame)             a `join` (or rejoin) went out

import { Emitter } from './emitter.js';

/** @typedef {import('./protocol.js').ClientMessage} ClientMessage */
/** @typedef {import('./protocol.js').ExistingPeers} ExistingPeers */
/** @typedef {'lobby'|'prejoin'|'joining'|'meeting'|'rejoining'|'left'} Phase */
/** @typedef {{kind: 'join'|'create'|'rejoin', roomId: string, passcode: string}} Pending */
/** @typedef {{id: string, name: string, token: string, passcode: string, capacity: number}} Room */
/** @typedef {{name: string, audio: boolean, video: boolean}} JoinFields */

/**
 * @typedef {object} SessionDeps
 * @property {(frame: ClientMessage) => boolean} send false when the socket is not connected
 * @property {() => boolean} connected whether frames can be sent now
 * @property {() => JoinFields} joinFields my name and media, for `join`
 * @property {() => string} [roleToken] my moderator token of the room, if any (@room-control)
 */

export class Session extends Emitter {
  /** @param {SessionDeps} deps */
  constructor(deps) {
    super();
    this.deps = deps;
    /** @type {Phase} */
    this.phase = 'lobby';
    /** @type {string|null} the live session: null for this host, else the relaying host's target */
    this.via = null;
    /** @type {Room|null} the room I am in (also while rejoining it) */
    this.room = null;
    /** @type {Pending|null} the request the host has not answered yet */
    this.pending = null;
    /** the room of the pre-join screen */
    this.prejoin = { roomId: '', passcode: '' };
    /** @type {'lobby'|'prejoin'} where a refused join goes back to */
    this.back = 'lobby';
    /** @type {{audio: boolean, video: boolean}|null} what the host last heard about my media */
    this.sent = null;
  }

  /** The screen this phase shows: 'lobby', 'prejoin' or 'meeting'. */
  get view() {
    if (this.phase === 'joining') return this.back;
    if (this.phase === 'rejoining') return 'meeting';
    if (this.phase === 'left') return 'lobby';
    return this.phase;
  }

  /** Whether the page is in a room (also while it rejoins it). */
  get inRoom() {
    return this.phase === 'meeting' || this.phase === 'rejoining';
  }

  /** Whether signals from the others go to the mesh now (else they wait for the room). */
  get live() {
    return this.phase === 'meeting' && !this.pending;
  }

  /** @param {Phase} phase */
  _to(phase) {
    const previous = this.phase;
    if (previous === phase) return;
    this.phase = phase;
    this.emit('phase', phase, previous);
  }

  /** @param {string|null} via */
  _use(via) {
    if (via === this.via) return;
    this.via = via;
    this.emit('connect', via);
  }

  /**
   * The page's address changed (load, reload, back/forward, leave): the lobby, or the pre-join
   * screen of `roomId` on host `via`. Ignored in a room (leave it first).
   * @param {{roomId: string|null, passcode?: string, via?: string|null}} where
   */
  open(where) {
    if (this.inRoom) return;
    const wasLeft = this.phase === 'left';
    if (this.pending) this._settle();
    const via = where.roomId ? where.via || null : null;
    const moved = via !== this.via;
    this.prejoin = { roomId: where.roomId || '', passcode: (where.roomId && where.passcode) || '' };
    this._use(via);
    this._to(where.roomId ? 'prejoin' : 'lobby');
    // back from a room on the same session: the directory feed ended when it joined
    // (a new session asks in its welcome)
    if (wasLeft && !moved && this.deps.connected()) this.deps.send({ type: 'watch-hosts', on: true });
  }

  /**
   * Join `roomId` on the live session. Returns false when the host cannot be reached now (the
   * join is then sent as soon as it answers).
   * @param {string} roomId
   * @param {string} passcode
   */
  join(roomId, passcode) {
    if (this.inRoom || this.phase === 'left') return false;
    if (this.phase !== 'joining') this.back = this.phase === 'prejoin' ? 'prejoin' : 'lobby';
    this.pending = { kind: 'join', roomId, passcode };
    this._to('joining');
    if (!this.deps.connected()) return false;
    this.emit('busy', true);
    this._sendJoin(roomId, passcode, null);
    return true;
  }

  /**
   * Create a room on the live session, then join it.
   * @param {{name: string, passcode: string, listed: boolean, large?: boolean}} req
   */
  create(req) {
    if (this.phase !== 'lobby' || !this.deps.connected()) return false;
    this.back = 'lobby';
    this.pending = { kind: 'create', roomId: '', passcode: req.passcode };
    this._to('joining');
    this.emit('busy', true);
    /** @type {import('./protocol.js').CreateRoom} */
    const msg = { type: 'create-room', name: req.name };
    if (req.passcode) msg.passcode = req.passcode;
    if (!req.listed) msg.listed = false;
    if (req.large) msg.large = true; // @sfu
    this.deps.send(msg);
    return true;
  }

  /**
   * `room-created`: join the room just made.
   * @param {string} roomId
   */
  created(roomId) {
    if (!this.pending || this.pending.kind !== 'create') return;
    const passcode = this.pending.passcode;
    this.join(roomId, passcode);
  }

  /**
   * @param {string} roomId
   * @param {string} passcode
   * @param {import('./protocol.js').Recreate|null} recreate
   */
  _sendJoin(roomId, passcode, recreate) {
    const me = this.deps.joinFields();
    /** @type {import('./protocol.js').Join} */
    const msg = { type: 'join', room: roomId, name: (me.name || 'Guest').slice(0, 48), audio: me.audio, video: me.video };
    if (passcode) msg.passcode = passcode;
    if (recreate) msg.recreate = recreate;
    this.sent = { audio: me.audio, video: me.video };
    this.deps.send(msg);
    this.emit('join', msg);
  }

  /**
   * What a rejoin presents: the room token, and my role token when I moderate.
   * @param {Room} room
   * @returns {import('./protocol.js').Recreate}
   */
  _recreate(room) {
    const role = this.deps.roleToken ? this.deps.roleToken() : '';
    return role ? { name: room.name, token: room.token, role } : { name: room.name, token: room.token };
  }

  _rejoin() {
    const room = /** @type {Room} */ (this.room);
    this.pending = { kind: 'rejoin', roomId: room.id, passcode: room.passcode };
    this._to('rejoining');
    this._sendJoin(room.id, room.passcode, this._recreate(room));
  }

  /**
   * `welcome` on the live session (after every connection). In a room: rejoin it (recreated if
   * the host restarted). Elsewhere: ask for the LAN directory and send a join that waited.
   * Returns 'rejoin' when a rejoin went out.
   * @returns {'rejoin'|'idle'}
   */
  welcomed() {
    if (this.inRoom && this.room) {
      this._rejoin();
      return 'rejoin';
    }
    this.deps.send({ type: 'watch-hosts', on: true });
    const pending = this.pending;
    if (pending && pending.kind === 'join') {
      this.emit('busy', true);
      this._sendJoin(pending.roomId, pending.passcode, null);
    } else if (pending) {
      this._settle(); // a create whose answer was lost with the socket
    }
    return 'idle';
  }

  /**
   * `existing-peers`: in the room (first entry or rejoin).
   * @param {ExistingPeers} msg
   */
  entered(msg) {
    if (this.phase === 'left') return;
    const first = !this.inRoom;
    const passcode = this.pending ? this.pending.passcode : this.room?.passcode || '';
    this.room = { id: msg.room.id, name: msg.room.name, token: msg.room_token, passcode, capacity: msg.room.capacity };
    this.pending = null;
    this.emit('busy', false);
    this._to('meeting');
    this.emit('entered', msg, { first });
  }

  /**
   * `room-media`: the room's media moved to the host's SFU; its new token and capacity.
   * @param {import('./protocol.js').RoomMediaIn} msg
   */
  mediaMoved(msg) {
    if (!this.room) return;
    this.room.token = msg.room_token;
    this.room.capacity = msg.capacity;
  }

  /**
   * What an `error` from the host means here:
   *   'ask'      a passcode is needed: the pending request is answered (not pending while the
   *              person is asked), to be `retry`d or `refused` with what they say
   *   'kept'     a rejoin found my place kept (`already-in-room`): in the meeting again
   *   'refused'  the request failed: the wiring says why, then calls `refused()`
   *   'ignored'  nothing to do (handled here, a signal for someone who just left, or a host
   *              of an older version that has no directory feed or room status: it refused
   *              `watch-hosts` or `watch-room`)
   * @param {string} code
   * @param {string} [got] the refused message's type, for `unknown-type`
   * @returns {'ask'|'kept'|'refused'|'ignored'}
   */
  hostError(code, got) {
    switch (code) {
      case 'unknown-type':
        return got === 'watch-hosts' || got === 'watch-room' ? 'ignored' : 'refused';
      case 'wrong-passcode':
        if (!this.pending) return 'ignored';
        this.pending = null;
        return 'ask';
      case 'already-in-room':
        return this.alreadyIn() === 'kept' ? 'kept' : 'ignored';
      case 'not-in-room':
        this.notInRoom();
        return 'ignored';
      case 'unknown-peer':
      case 'bad-sdp': // the connection to the host's SFU (sfu.js) starts over on its own
      case 'not-sfu-room':
        return 'ignored';
      default:
        return 'refused';
    }
  }

  /**
   * The host refused what is pending (an `error` for it): back where the join came from, or out
   * of the room when a rejoin was refused. Returns what was pending.
   * @param {Pending|null} [pending] what was pending when the host asked ('ask'), else now
   */
  refused(pending = this.pending) {
    if (!pending) return null;
    this.pending = pending;
    if (pending.kind === 'rejoin') this.leave({ dropped: true });
    else this._settle();
    return pending;
  }

  /** No answer will come for what is pending: back to the screen it started from. */
  _settle() {
    this.pending = null;
    this.emit('busy', false);
    if (this.phase === 'joining') this._to(this.back);
  }

  /**
   * Try the pending join (or rejoin) again with another passcode.
   * @param {Pending} pending what `refused()` returned
   * @param {string} passcode
   */
  retry(pending, passcode) {
    if (pending.kind === 'rejoin') {
      if (!this.room || this.phase !== 'rejoining') return;
      this.room.passcode = passcode;
      this.pending = { ...pending, passcode };
      this._sendJoin(pending.roomId, passcode, this._recreate(this.room));
    } else {
      this.join(pending.roomId, passcode);
    }
  }

  /**
   * `already-in-room`: on a rejoin the host kept my place (carry on, returns 'kept'); on a join
   * the socket was still in another room (leave it and join again, returns 'again').
   * @returns {'kept'|'again'|null}
   */
  alreadyIn() {
    const pending = this.pending;
    if (pending && pending.kind === 'rejoin') {
      this.pending = null;
      this._to('meeting');
      return 'kept';
    }
    if (pending && pending.kind === 'join') {
      this.deps.send({ type: 'leave' });
      this._sendJoin(pending.roomId, pending.passcode, null);
      return 'again';
    }
    return null;
  }

  /** `not-in-room` while in a meeting: the host lost my place; rejoin. */
  notInRoom() {
    if (this.phase !== 'meeting' || !this.room || this.pending || !this.deps.connected()) return false;
    this._rejoin();
    return true;
  }

  /**
   * Leave the room (or give up a rejoin): `left`; the wiring then opens the lobby or the
   * pre-join page (`open`), which also returns the live session to this host.
   * @param {{dropped?: boolean}} [how]
   */
  leave(how = {}) {
    if (!this.inRoom) return;
    if (!how.dropped) this.deps.send({ type: 'leave' });
    const roomId = this.room ? this.room.id : '';
    this.room = null;
    this.pending = null;
    this.sent = null;
    this.emit('busy', false);
    this._to('left');
    this.emit('left', { dropped: !!how.dropped, roomId });
  }

  /**
   * My media changed: the `update` to send, or null when the host already knows.
   * @param {{audio: boolean, video: boolean}} on
   */
  mediaUpdate(on) {
    if (this.phase !== 'meeting' || !this.deps.connected()) return null;
    if (this.sent && this.sent.audio === on.audio && this.sent.video === on.video) return null;
    this.sent = on;
    return /** @type {import('./protocol.js').Update} */ ({ type: 'update', ...on });
  }

  /**
   * The path (and query) that leads back to where the page is: `/j/<room>` with `?via=` when
   * the room is on another host, `/` in the lobby.
   */
  path() {
    const id = this.room?.id || (this.view === 'prejoin' ? this.prejoin.roomId : '');
    if (!id) return '/';
    const query = this.via ? `?via=${encodeURIComponent(this.via)}` : '';
    return `/j/${encodeURIComponent(id)}${query}`;
  }
}
