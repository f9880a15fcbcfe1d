// Every sentence the page shows a person about something that went wrong (or needs them), in
// one place: the host's `error` codes and the page's own conditions, each with the banner code
// (`#banner[data-code]`) and level it goes out under. No DOM.

import { t } from './i18n.js';

/** @typedef {'error'|'warn'|'info'} Level */
/** @typedef {{code: string, text: string, level: Level, sticky?: boolean}} Notice */

/** Banner codes a successful join clears. */
export const CLEARED_ON_JOIN = ['wrong-passcode', 'no-such-room', 'room-full', 'bad-token', 'reconnecting', 'closing', 'error'];
/** Banner codes leaving a meeting clears. */
export const CLEARED_ON_LEAVE = ['reconnecting', 'closing', 'autoplay'];

/** @param {string|undefined} field */
function fieldName(field) {
  return /** @type {Record<string, string>} */ ({ name: 'Name', passcode: 'Passcode', room: 'Meeting id' })[field || ''] || 'A field';
}

/**
 * The sentence for a host's `error` frame, or null when it needs none (or something else
 * handles it: a passcode prompt, a rejoin, a signal for someone who just left).
 * @param {import('./protocol.js').ErrorMessage} msg
 * @param {{roomId?: string, capacity?: number}} ctx the pending room, the room's capacity
 * @returns {Notice|null}
 */
export function hostErrorNotice(msg, ctx) {
  const code = String(msg.code || 'error');
  switch (code) {
    case 'wrong-passcode':
    case 'already-in-room':
    case 'not-in-room':
    case 'unknown-peer':
      return null;
    case 'room-full': {
      const cap = typeof msg.capacity === 'number' ? msg.capacity : ctx.capacity;
      return { code, level: 'error', text: `This meeting is full: it holds at most ${cap ?? 'its maximum of'} people. Try again when someone leaves.` };
    }
    case 'no-such-room':
      return {
        code,
        level: 'error',
        text: `There is no meeting ${ctx.roomId ? `“${ctx.roomId}” ` : ''}on this host. Check the id or link; it may have ended.`,
      };
    case 'bad-token':
      return { code, level: 'error', text: 'This meeting could not be restored after the host restarted.' };
    case 'invalid-field':
      return { code, level: 'error', text: `${fieldName(msg.field)}: ${msg.message || 'not accepted by the host.'}` };
    case 'too-many-rooms':
      return { code, level: 'error', text: 'This host holds as many meetings as it allows. Join an existing one, or try later.' };
    case 'rate-limited':
      return { code, level: 'warn', text: 'Too many messages went to the host at once; reconnecting.' };
    case 'try-later': {
      // a per-address budget of the host (rooms created, wrong passcodes, connections)
      const secs = typeof msg.retry_after_ms === 'number' ? Math.max(1, Math.ceil(msg.retry_after_ms / 1000)) : null;
      return { code, level: 'warn', text: `The host asks this network to wait${secs ? ` ${secs} s` : ''} before trying that again.` };
    }
    // @room-control
    case 'not-allowed':
      return { code, level: 'warn', text: t('control.notAllowed') };
    case 'room-closed':
      return { code, level: 'error', text: t('control.roomClosed') };
    default:
      return { code: 'error', level: 'error', text: msg.message || `The host refused a request (${code}).` };
  }
}

/** The passcode prompt. @param {boolean} again a passcode was given and is wrong */
export function passcodePrompt(again) {
  return again ? 'That passcode is not right. Try again:' : 'This meeting is locked. Enter its passcode:';
}

/** @type {Notice} the passcode prompt was cancelled */
export const PASSCODE_NEEDED = { code: 'wrong-passcode', level: 'error', text: 'This meeting needs the right passcode to join.' };

/** @type {Notice} */
export const BAD_JOIN_INPUT = { code: 'no-such-room', level: 'error', text: 'Type a meeting id like k3f9-x2mq-7tvd-pa4h, or paste a join link.' };

/** @param {string} host `host:port` @returns {Notice} */
export function cannotReach(host) {
  return { code: 'reconnecting', level: 'error', sticky: true, text: `Cannot reach the host at ${host}. Retrying…` };
}

/** @type {Notice} the socket dropped during a call */
export const LOST_IN_CALL = { code: 'reconnecting', level: 'warn', sticky: true, text: 'Lost the connection to the host. Reconnecting… the call goes on meanwhile.' };

/** @param {boolean} inCall @returns {Notice} */
export function closing(inCall) {
  const text = inCall
    ? 'The host is shutting down. The call goes on; reconnecting when the host is back…'
    : 'The host is shutting down. Reconnecting when it is back…';
  return { code: 'closing', level: 'warn', sticky: true, text };
}

/** @type {Notice} */
export const AUTOPLAY = { code: 'autoplay', level: 'info', text: 'Your browser held back the sound. Click anywhere on the page to hear the others.' };

/** @type {Notice} */
export const NO_WEBRTC = {
  code: 'no-webrtc',
  level: 'error',
  sticky: true,
  text: 'This browser cannot make video calls (it has no WebRTC). You can still join to see who is here; open the meeting link in Chrome, Edge, Firefox or Safari to see and hear them.',
};

/** @param {string[]} problems the media problems' sentences @returns {Notice} */
export function mediaDenied(problems) {
  return { code: 'media-denied', level: 'warn', text: problems.join(' ') };
}

/** @param {boolean} ok @param {string} url @returns {Notice} */
export function copied(ok, url) {
  return { code: 'copied', level: 'info', text: ok ? `Join link copied: ${url}` : `Copy this join link: ${url}` };
}
