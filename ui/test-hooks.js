// `window.moim`: what the end-to-end tests (tests/e2e) and a curious person at the console read.
// Stable: docs/client.md lists it. No DOM.

/**
 * @typedef {object} Parts
 * @property {import('./session.js').Session} session
 * @property {import('./signaling.js').Signaling} signaling
 * @property {import('./mesh.js').Mesh} mesh
 * @property {import('./media.js').Media} media
 * @property {import('./chat.js').Chat} chat
 * @property {import('./stats.js').Stats} stats
 * @property {import('./speaking.js').SpeakingDetector} speaking
 * @property {boolean} webrtc
 * @property {() => string} meetingUrl
 */

/** @param {Parts} p */
export function installTestHooks(p) {
  const { session, signaling: sig, mesh, media, webrtc } = p;
  /** @type {any} */ (window).moim = {
    state() {
      const room = session.room;
      return {
        peerId: sig.peerId,
        room: room ? room.id : null,
        roomName: room ? room.name : null,
        mode: session.view,
        phase: session.phase,
        via: session.via,
        people: room ? mesh.size : 0,
        /** a large meeting's: whose cameras the host sends (null: everyone's, or a mesh) */
        cameras: mesh.host?.cameras ? [...mesh.host.cameras] : null,
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
      return Object.fromEntries([...mesh.peers].map(([id, peer]) => [id, peer.pc.connectionState]));
    },
    get localStream() {
      return media.stream;
    },
    /** The encodings each video/audio sender uses now (for the bandwidth-budget tests). */
    senderParams() {
      return Object.fromEntries(
        [...mesh.peers].map(([id, peer]) => [
          id,
          Object.fromEntries(
            /** @type {('audio'|'video')[]} */ (['audio', 'video']).map((k) => {
              const t = peer.transceiver(k);
              return [k, t ? t.sender.getParameters().encodings : null];
            }),
          ),
        ]),
      );
    },
    caps: () => mesh.caps(),
    meetingUrl: p.meetingUrl,
    noWebRTC: !webrtc,
    signaling: sig,
    session,
    mesh,
    media,
    chat: p.chat,
    stats: p.stats,
    speaking: p.speaking,
  };
}

/**
 * More hooks from a feature's own module (installed after installTestHooks): `window.moim.files`
 * and `window.moim.recorder` come from meeting-tools.js.
 * @param {Record<string, any>} extra
 */
export function extendTestHooks(extra) {
  Object.assign(/** @type {any} */ (window).moim || {}, extra);
}
