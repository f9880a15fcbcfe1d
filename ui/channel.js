// The chat channel of one RTCPeerConnection (peer.js): `negotiated: true, id: 0`, the same
// channel on both sides, so glare cannot duplicate it. JSON messages of at most 256 KiB; others
// are dropped. No DOM.
//
// Other data channels (file transfer) are opened on the same connection by their own modules:
// `mesh.peers.get(id).pc.createDataChannel(...)` with ids other than 0.

/** The largest chat-channel message read (characters). */
export const MAX_CHANNEL_MESSAGE = 256 * 1024;

/**
 * Open the chat channel on `pc` and route its events.
 * @param {RTCPeerConnection} pc
 * @param {{open: (ch: RTCDataChannel) => void, close: () => void, message: (msg: any) => void}} on
 */
export function openChatChannel(pc, on) {
  const ch = pc.createDataChannel('chat', { negotiated: true, id: 0, ordered: true });
  ch.onopen = () => on.open(ch);
  ch.onclose = () => on.close();
  ch.onmessage = (ev) => {
    if (typeof ev.data !== 'string' || ev.data.length > MAX_CHANNEL_MESSAGE) return;
    let msg;
    try {
      msg = JSON.parse(ev.data);
    } catch {
      return;
    }
    on.message(msg);
  };
  return ch;
}

/**
 * Send a JSON message on `ch`; false if it is not open.
 * @param {RTCDataChannel|null} ch
 * @param {any} msg
 */
export function sendJson(ch, msg) {
  if (!ch || ch.readyState !== 'open') return false;
  try {
    ch.send(JSON.stringify(msg));
    return true;
  } catch {
    return false;
  }
}
