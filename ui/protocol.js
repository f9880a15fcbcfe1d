// The wire protocol, version 1, as JSDoc types: every frame the client sends and every frame
// the host sends back, mirroring src-tauri/src/protocol.rs (its human-readable twin is
// docs/protocol.md). Types only: nothing here runs.

// ------------------------------------------------------------------- shared shapes

/**
 * A room as others see it (`RoomInfo`).
 * @typedef {object} RoomInfo
 * @property {string} id
 * @property {string} name
 * @property {number} peers head count
 * @property {number} capacity
 * @property {boolean} locked it needs a passcode
 */

/**
 * A peer as the others in its room see it (`PeerInfo`).
 * @typedef {object} PeerInfo
 * @property {string} id assigned by the host
 * @property {string} name
 * @property {boolean} audio
 * @property {boolean} video
 * @property {boolean} [recording] @files: recording the meeting on its own machine
 */

/**
 * An `RTCIceServer` dictionary, as the host hands it out.
 * @typedef {{urls: string[], username?: string, credential?: string}} IceServer
 */

/** @typedef {{name: string, version: string}} HostName who the host is, in `welcome` */

/**
 * The limits a client should respect, in `welcome` (`WireLimits`).
 * @typedef {object} WireLimits
 * @property {number} max_peers_per_room
 * @property {number} max_signal_bytes
 * @property {number} max_frame_bytes
 * @property {number} msg_rate sustained messages per second
 * @property {number} msg_burst messages allowed at once
 */

/** @typedef {'left'|'closed'|'timeout'} LeaveReason */

/** @typedef {{name: string, token: string}} Recreate what a rejoining member presents */

/**
 * One host of the LAN in `hosts` (and in `GET /api/hosts`); this host comes first, `self`.
 * @typedef {object} LanHost
 * @property {string} id
 * @property {string} name
 * @property {boolean} self
 * @property {string} url its address for others
 * @property {string|null} [fingerprint] its certificate's SHA-256 (hex), null without HTTPS
 * @property {RoomInfo[]} rooms its listed rooms
 */

/**
 * @typedef {'bad-json'|'unknown-type'|'bad-message'|'bad-frame'|'invalid-field'|'too-large'
 *   |'no-such-room'|'room-full'|'wrong-passcode'|'bad-token'|'already-in-room'|'not-in-room'
 *   |'unknown-peer'|'rate-limited'|'too-many-rooms'|'host-unreachable'|'try-later'} ErrorCode
 */

// ------------------------------------------------------------------- client → host

/** @typedef {{type: 'create-room', name: string, passcode?: string, listed?: boolean}} CreateRoom */
/**
 * @typedef {{type: 'join', room: string, name: string, passcode?: string, audio?: boolean,
 *   video?: boolean, recreate?: Recreate}} Join
 */
/** @typedef {{type: 'leave'}} Leave */
/** @typedef {{type: 'signal', to: string, data: string}} SignalOut `data` is opaque to the host */
/** @typedef {{type: 'update', audio?: boolean, video?: boolean, name?: string, recording?: boolean}} Update `recording`: @files */
/** @typedef {{type: 'list-rooms', watch?: boolean}} ListRooms */
/** @typedef {{type: 'watch-hosts', on?: boolean}} WatchHosts */
/** @typedef {{type: 'chat', id: string, text: string}} ChatOut */
/** @typedef {{type: 'ping', nonce?: number}} Ping */

// Each feature area adds its messages in its own section below and names them in its union
// (`never` until it has any).

// @meeting (client → host)
/** @typedef {never} MeetingOut */

// @files (client → host)
/** @typedef {never} FilesOut */

// @room-control (client → host)
/** @typedef {never} ControlOut */

// @first-minutes (client → host)
/** @typedef {never} StatusOut */

/**
 * @typedef {CreateRoom|Join|Leave|SignalOut|Update|ListRooms|WatchHosts|ChatOut|Ping|MeetingOut
 *   |FilesOut|ControlOut|StatusOut} ClientMessage
 */

// ------------------------------------------------------------------- host → client

/**
 * @typedef {{type: 'welcome', peer_id: string, resume: string, protocol: number, host: HostName,
 *   ice_servers: IceServer[], limits: WireLimits}} Welcome
 */
/** @typedef {{type: 'room-created', room: RoomInfo}} RoomCreated */
/**
 * @typedef {{type: 'existing-peers', room: RoomInfo, you: PeerInfo, peers: PeerInfo[],
 *   room_token: string}} ExistingPeers
 */
/** @typedef {{type: 'peer-joined', peer: PeerInfo}} PeerJoined */
/** @typedef {{type: 'peer-updated', peer: PeerInfo}} PeerUpdated */
/** @typedef {{type: 'peer-left', peer_id: string, reason: LeaveReason}} PeerLeft */
/** @typedef {{type: 'left', room: string}} Left */
/** @typedef {{type: 'signal', from: string, data: string}} SignalIn stamped by the host */
/** @typedef {{type: 'rooms', rooms: RoomInfo[]}} Rooms */
/** @typedef {{type: 'hosts', mdns: boolean, hosts: LanHost[]}} Hosts the whole LAN directory */
/** @typedef {{type: 'chat', from: string, name: string, id: string, text: string, time: number}} ChatIn */
/** @typedef {{type: 'pong', nonce?: number}} Pong */
/**
 * @typedef {{type: 'error', code: ErrorCode, message: string, capacity?: number, limit?: number,
 *   field?: string, got?: string, retry_after_ms?: number}} ErrorMessage
 */
/** @typedef {{type: 'closing', reason: string}} Closing */

// @meeting (host → client)
/** @typedef {never} MeetingIn */

// @files (host → client)
/** @typedef {never} FilesIn */

// @room-control (host → client)
/** @typedef {never} ControlIn */

// @first-minutes (host → client)
/** @typedef {never} StatusIn */

/**
 * @typedef {Welcome|RoomCreated|ExistingPeers|PeerJoined|PeerUpdated|PeerLeft|Left|SignalIn|Rooms
 *   |Hosts|ChatIn|Pong|ErrorMessage|Closing|MeetingIn|FilesIn|ControlIn|StatusIn} ServerMessage
 */

export {};
