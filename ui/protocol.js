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
 * @property {boolean} [closed] a moderator closed it to newcomers (@room-control)
 * @property {boolean} [waiting_room] newcomers wait to be admitted (@room-control)
 * @property {RoomMedia} [media] how its media travels (@sfu; absent: `mesh`)
 */

/** @typedef {'mesh'|'sfu'} RoomMedia peer to peer, or through the host's SFU (a large meeting) */

/**
 * A peer as the others in its room see it (`PeerInfo`).
 * @typedef {object} PeerInfo
 * @property {string} id assigned by the host
 * @property {string} name
 * @property {boolean} audio
 * @property {boolean} video
 * @property {string|null} [screen] (meeting) the stream id of the screen it shares
 * @property {number|null} [hand] (meeting) its raised hand's place in the room's order
 * @property {boolean} [moderator] a moderator of the room (@room-control)
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

/** @typedef {'left'|'closed'|'timeout'|'removed'} LeaveReason */

/** @typedef {{name: string, token: string, role?: string}} Recreate what a rejoining member presents (`role`: its role token) */

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
 *   |'unknown-peer'|'rate-limited'|'too-many-rooms'|'host-unreachable'|'try-later'
 *   |'not-allowed'|'room-closed'|'not-sfu-room'|'bad-sdp'} ErrorCode
 */

// ------------------------------------------------------------------- client → host

/**
 * @typedef {{type: 'create-room', name: string, passcode?: string, listed?: boolean,
 *   waiting_room?: boolean, large?: boolean}} CreateRoom `large`: @sfu
 */
/**
 * @typedef {{type: 'join', room: string, name: string, passcode?: string, audio?: boolean,
 *   video?: boolean, recreate?: Recreate}} Join
 */
/** @typedef {{type: 'leave'}} Leave */
/** @typedef {{type: 'signal', to: string, data: string}} SignalOut `data` is opaque to the host */
/**
 * @typedef {{type: 'update', audio?: boolean, video?: boolean, name?: string,
 *   screen?: string|null, hand?: boolean, recording?: boolean}} Update `screen` and `hand`:
 *   the meeting area; `recording`: @files
 */
/** @typedef {{type: 'list-rooms', watch?: boolean}} ListRooms */
/** @typedef {{type: 'watch-hosts', on?: boolean}} WatchHosts */
/** @typedef {{type: 'chat', id: string, text: string}} ChatOut */
/** @typedef {{type: 'ping', nonce?: number}} Ping */

// Each feature area adds its messages in its own section below and names them in its union
// (`never` until it has any).

// @meeting (client → host)
/** @typedef {'👍'|'👏'|'😂'|'❤️'|'🎉'|'😮'} Emoji the reactions the host relays */
/** @typedef {{type: 'react', emoji: Emoji}} React */
/** @typedef {React} MeetingOut */

// @files (client → host)
/** @typedef {never} FilesOut */

// @room-control (client → host)
/**
 * A room's settings (`RoomSettings`).
 * @typedef {object} RoomSettings
 * @property {boolean} waiting_room newcomers wait to be admitted
 * @property {boolean} closed nobody new may join, not even with the passcode
 * @property {boolean} moderators_unmute someone a moderator muted may unmute only when asked
 */
/** @typedef {'mute'|'ask-unmute'|'stop-video'|'stop-share'} ModAction */
/** @typedef {{type: 'admit', peer?: string}} Admit no `peer`: everyone waiting */
/** @typedef {{type: 'turn-away', peer?: string}} TurnAway no `peer`: everyone waiting */
/** @typedef {{type: 'make-moderator', peer: string}} MakeModerator */
/**
 * @typedef {{type: 'room-settings', waiting_room?: boolean, closed?: boolean,
 *   moderators_unmute?: boolean}} RoomSettingsOut
 */
/** @typedef {{type: 'mute', peer?: string}} Mute no `peer`: everyone else */
/** @typedef {{type: 'ask-unmute', peer?: string}} AskUnmute no `peer`: everyone else */
/** @typedef {{type: 'stop-video', peer: string}} StopVideo */
/** @typedef {{type: 'stop-share', peer: string}} StopShare */
/** @typedef {{type: 'remove', peer: string}} Remove */
/** @typedef {{type: 'end-meeting', message?: string}} EndMeeting */
/**
 * @typedef {Admit|TurnAway|MakeModerator|RoomSettingsOut|Mute|AskUnmute|StopVideo|StopShare
 *   |Remove|EndMeeting} ControlOut
 */

// @first-minutes (client → host)
/** @typedef {{type: 'watch-room', room?: string|null}} WatchRoom follow one room's status */
/** @typedef {WatchRoom} StatusOut */

// @sfu (client → host)
/**
 * @typedef {{type: 'sfu-offer', sdp: string, fresh?: boolean}} SfuOfferOut my one connection to
 *   the host's SFU (`fresh`: the first offer of a new RTCPeerConnection)
 */
/** @typedef {{type: 'sfu-answer', sdp: string}} SfuAnswerOut the answer to the host's offer */
/**
 * @typedef {{type: 'sfu-view', sizes: Record<string, number>, last_n?: number, pinned?: string[]}}
 *   SfuViewOut how tall (device pixels) I show each member's camera (0: not shown), whose I
 *   want: the cameras of the last `last_n` speakers and of those I `pinned`; the host forwards
 *   those cameras' simulcast layers that fit
 */
/**
 * @typedef {{type: 'unreachable', peer: string}} UnreachableOut my direct connection to this
 *   member never came up though our signals went through: the host moves the room to its SFU
 */
/** @typedef {SfuOfferOut|SfuAnswerOut|SfuViewOut|UnreachableOut} SfuOut */

/**
 * @typedef {CreateRoom|Join|Leave|SignalOut|Update|ListRooms|WatchHosts|ChatOut|Ping|MeetingOut
 *   |FilesOut|ControlOut|StatusOut|SfuOut} ClientMessage
 */

// ------------------------------------------------------------------- host → client

/**
 * @typedef {{type: 'welcome', peer_id: string, resume: string, protocol: number, host: HostName,
 *   ice_servers: IceServer[], limits: WireLimits, sfu?: {port: number}}} Welcome `sfu`: @sfu
 */
/** @typedef {{type: 'room-created', room: RoomInfo}} RoomCreated */
/**
 * @typedef {{type: 'existing-peers', room: RoomInfo, you: PeerInfo, peers: PeerInfo[],
 *   room_token: string, settings?: RoomSettings, role_token?: string}} ExistingPeers
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
/** @typedef {{type: 'reaction', from: string, emoji: Emoji}} Reaction */
/** @typedef {Reaction} MeetingIn */

// @files (host → client)
/** @typedef {never} FilesIn */

// @room-control (host → client)
/** @typedef {{type: 'waiting', room: string, name: string, you: PeerInfo}} Waiting */
/** @typedef {{type: 'waiting-list', peers: PeerInfo[]}} WaitingList to moderators */
/** @typedef {{type: 'turned-away', room: string}} TurnedAway */
/** @typedef {{type: 'promoted', by?: string, role_token: string}} Promoted no `by`: handed on */
/** @typedef {{type: 'room-settings', settings: RoomSettings, by: string}} RoomSettingsIn */
/** @typedef {{type: 'moderation', action: ModAction, by: string, name: string}} Moderation */
/** @typedef {{type: 'removed', room: string, by: string, name: string}} Removed */
/**
 * @typedef {{type: 'meeting-ended', room: string, by: string, name: string, message: string}}
 *   MeetingEnded
 */
/**
 * @typedef {Waiting|WaitingList|TurnedAway|Promoted|RoomSettingsIn|Moderation|Removed
 *   |MeetingEnded} ControlIn
 */

// @first-minutes (host → client)
/**
 * One room as its pre-join page sees it (`peers`: names, empty when a passcode hides them).
 * @typedef {{type: 'room-status', room: string, name: string, peers: string[], count: number,
 *   capacity: number, full: boolean, passcode: boolean, locked: boolean, waiting_room: boolean, gone: boolean}} RoomStatus
 */
/** @typedef {RoomStatus} StatusIn */

// @sfu (host → client)
/** @typedef {{mid: string, peer: string, kind: 'audio'|'video'}} SfuTrack whose media an m-line of the host carries */
/** @typedef {{type: 'sfu-offer', sdp: string, tracks: SfuTrack[]}} SfuOfferIn the host's offer */
/** @typedef {{type: 'sfu-answer', sdp: string, tracks: SfuTrack[]}} SfuAnswerIn the host's answer */
/** @typedef {SfuOfferIn|SfuAnswerIn} SfuIn */
/**
 * @typedef {{type: 'sfu-forwarded', peers: string[]}} SfuForwardedIn whose cameras the host sends
 *   me now (the others' are not sent)
 */
/**
 * @typedef {{type: 'room-media', media: RoomMedia, reason: 'size'|'reach', room_token: string,
 *   capacity: number}} RoomMediaIn the host moved the room's media to its SFU
 */

/**
 * @typedef {Welcome|RoomCreated|ExistingPeers|PeerJoined|PeerUpdated|PeerLeft|Left|SignalIn|Rooms
 *   |Hosts|ChatIn|Pong|ErrorMessage|Closing|MeetingIn|FilesIn|ControlIn|StatusIn|SfuIn|SfuForwardedIn|RoomMediaIn} ServerMessage
 */

export {};
