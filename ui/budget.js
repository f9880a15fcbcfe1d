// The upload budget of the mesh: what each sender (camera, microphone, shared screen) may send
// to each remote peer, from the room's size, the camera's picture and whether a screen is up
// (docs/client.md, "Bandwidth budget"). Pure functions, no DOM, no WebRTC.

/** Total camera upload across all peers (bits/s). */
export const VIDEO_BUDGET_BPS = 2_500_000;
/** Camera upload to any one peer (bits/s). */
export const VIDEO_PER_PEER_MAX_BPS = 1_500_000;
/** Audio upload to any one peer (bits/s). */
export const AUDIO_MAX_BPS = 48_000;
/** While a screen is up anywhere in the room, the cameras share this total instead (bits/s). */
export const VIDEO_BUDGET_WITH_SCREEN_BPS = 1_000_000;
/** ...and send to any one peer at most this (bits/s). */
export const VIDEO_PER_PEER_WITH_SCREEN_BPS = 400_000;
/** ...at most this picture height (the cameras sit in a strip beside the screen). */
export const VIDEO_HEIGHT_WITH_SCREEN = 240;
/** Total upload of my shared screen across all peers (bits/s). */
export const SCREEN_BUDGET_BPS = 4_000_000;
/** Screen upload to any one peer (bits/s). */
export const SCREEN_PER_PEER_MAX_BPS = 2_500_000;
/** The screen's share never goes below this per peer (bits/s): text stays readable, frames drop. */
export const SCREEN_PER_PEER_MIN_BPS = 500_000;
/** A shared screen's tab audio, to any one peer (bits/s). */
export const SCREEN_AUDIO_MAX_BPS = 64_000;

/** @typedef {{maxBitrate: number, scaleResolutionDownBy?: number}} Caps */
/** @typedef {{audio: Caps, video: Caps, screen: Caps, screenAudio: Caps}} AllCaps */

/**
 * The largest camera picture height we send to each peer when there are `others` of them.
 * @param {number} others
 * @param {boolean} [screenUp] a screen is shared in the room
 */
export function targetHeight(others, screenUp = false) {
  if (screenUp) return VIDEO_HEIGHT_WITH_SCREEN;
  if (others >= 6) return 240;
  if (others >= 4) return 360;
  return Infinity;
}

/**
 * The per-peer send caps for a room with `others` remote peers, for a camera track whose
 * smaller side is `trackHeight` pixels.
 *   camera maxBitrate = min(1.5 Mbps, 2.5 Mbps / others), or while a screen is up
 *     min(400 kbps, 1 Mbps / others)
 *   scaleResolutionDownBy so the picture is ≤ 360p with ≥ 4 others, ≤ 240p with ≥ 6 others
 *     or while a screen is up
 *   audio maxBitrate = 48 kbps
 *   screen maxBitrate = clamp(4 Mbps / others, 500 kbps, 2.5 Mbps), never scaled down
 * @param {number} others
 * @param {number} [trackHeight]
 * @param {boolean} [screenUp]
 * @returns {AllCaps}
 */
export function capsFor(others, trackHeight = 720, screenUp = false) {
  const n = Math.max(1, others);
  const budget = screenUp ? VIDEO_BUDGET_WITH_SCREEN_BPS : VIDEO_BUDGET_BPS;
  const perPeer = screenUp ? VIDEO_PER_PEER_WITH_SCREEN_BPS : VIDEO_PER_PEER_MAX_BPS;
  const maxBitrate = Math.floor(Math.min(perPeer, budget / n));
  const target = targetHeight(n, screenUp);
  const h = trackHeight > 0 ? trackHeight : 720;
  const scale = Number.isFinite(target) && h > target ? Math.ceil((h / target) * 100) / 100 : 1;
  const screen = Math.floor(Math.max(SCREEN_PER_PEER_MIN_BPS, Math.min(SCREEN_PER_PEER_MAX_BPS, SCREEN_BUDGET_BPS / n)));
  return {
    audio: { maxBitrate: AUDIO_MAX_BPS },
    video: { maxBitrate, scaleResolutionDownBy: scale },
    screen: { maxBitrate: screen, scaleResolutionDownBy: 1 },
    screenAudio: { maxBitrate: SCREEN_AUDIO_MAX_BPS },
  };
}
