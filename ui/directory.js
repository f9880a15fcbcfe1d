// The LAN directory as the page knows it: this host's `hosts` feed (who is on the LAN and what
// meetings each holds, this host first) and the live session's own host as it describes itself
// (on a session through `?via=`, the meeting's host). One road: it only ever comes from the
// `hosts` messages of the socket the page already has. No DOM.

/** @typedef {import('./protocol.js').LanHost} LanHost */
/** @typedef {{mdns: boolean, hosts: LanHost[]}} Listing */

/**
 * The hosts of a `hosts` message, each once (the first entry of an id wins), this host first.
 * @param {unknown} hosts
 * @returns {LanHost[]}
 */
export function distinctHosts(hosts) {
  const seen = new Set();
  /** @type {LanHost[]} */
  const out = [];
  for (const h of Array.isArray(hosts) ? hosts : []) {
    if (!h || typeof h.id !== 'string' || seen.has(h.id)) continue;
    seen.add(h.id);
    out.push({ ...h, rooms: Array.isArray(h.rooms) ? h.rooms : [] });
  }
  return out.sort((a, b) => Number(!!b.self) - Number(!!a.self));
}

export class Directory {
  constructor() {
    /** @type {Listing|null} this host's directory, from its last `hosts` */
    this.home = null;
    /** @type {LanHost|null} the live session's host, from that session's last `hosts` */
    this.sessionHost = null;
  }

  /**
   * A `hosts` message arrived on the live session (`via` as in Session). Returns true when it
   * is this host's directory (the lobby shows it).
   * @param {{mdns?: boolean, hosts?: unknown}} msg
   * @param {string|null} via
   */
  update(msg, via) {
    const hosts = distinctHosts(msg.hosts);
    this.sessionHost = hosts.find((h) => h.self) || null;
    if (via) return false;
    this.home = { mdns: !!msg.mdns, hosts };
    return true;
  }

  /** The live session changed: what its host said no longer holds. */
  sessionChanged() {
    this.sessionHost = null;
  }

  /**
   * The name of meeting `roomId` on host `via` (null: this one), if anyone listed it.
   * @param {string} roomId
   * @param {string|null} via
   */
  roomName(roomId, via) {
    const listed = via ? this.home?.hosts.find((h) => h.id === via) : null;
    const rooms = [...(this.sessionHost?.rooms || []), ...(listed?.rooms || [])];
    return rooms.find((r) => r.id === roomId)?.name;
  }
}
