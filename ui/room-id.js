// Room ids and join links: what a person types or pastes, turned into a room id
// (docs/protocol.md: 16 Crockford base32 characters in four groups, lower case), and join links.

import { certificateCode, normalizeCode } from './short-code.js';

/** Crockford base32 as the host writes it: 0-9 a-z without i l o u. */
const ALPHABET = /^[0-9abcdefghjkmnpqrstvwxyz]+$/;

/**
 * Normalise what a person typed or pasted: an id (any case, spaces, with or without dashes) or
 * a full link `.../j/<id>` (with `#p=<passcode>` optionally). Returns `{id, passcode}`, id ''
 * when nothing usable was given.
 * @param {string} input
 * @returns {{id: string, passcode: string}}
 */
export function parseJoinInput(input) {
  let s = String(input || '').trim();
  let passcode = '';
  const hash = s.indexOf('#');
  if (hash >= 0) {
    passcode = passcodeFromFragment(s.slice(hash));
    s = s.slice(0, hash);
  }
  const j = s.search(/\/j\//i);
  if (j >= 0) s = s.slice(j + 3);
  s = s.split(/[?/]/)[0];
  try {
    s = decodeURIComponent(s);
  } catch {
    /* keep as is */
  }
  return { id: normalizeRoomId(s), passcode };
}

/**
 * Lower-case, drop spaces; Crockford's look-alikes (o → 0, i and l → 1) are mapped since the
 * alphabet never contains them; a 16-character id without dashes gets its dashes back.
 * @param {string} s
 */
export function normalizeRoomId(s) {
  let id = String(s || '').trim().toLowerCase().replace(/\s+/g, '');
  const bare = id.replace(/-/g, '').replace(/o/g, '0').replace(/[il]/g, '1');
  if (bare.length === 16 && ALPHABET.test(bare)) {
    id = /** @type {RegExpMatchArray} */ (bare.match(/.{4}/g)).join('-');
  }
  return id;
}

/**
 * The passcode in a `#p=<passcode>` fragment, or ''.
 * @param {string} fragment
 */
export function passcodeFromFragment(fragment) {
  const f = String(fragment || '').replace(/^#/, '');
  for (const part of f.split('&')) {
    if (part.startsWith('p=')) {
      try {
        return decodeURIComponent(part.slice(2));
      } catch {
        return part.slice(2);
      }
    }
  }
  return '';
}

/**
 * The room id of a `/j/<id>` path, or null.
 * @param {string} pathname
 */
export function roomFromPath(pathname) {
  const m = /^\/j\/([^/]+)\/?$/.exec(pathname || '');
  return m ? normalizeRoomId(decodeURIComponent(m[1])) : null;
}

/**
 * The link that opens the pre-join screen of a room; with the certificate's verification code
 * and the passcode in the fragment if given (the fragment never reaches the host).
 * @param {string} origin e.g. http://192.168.1.20:7272
 * @param {string} roomId
 * @param {string} [passcode]
 * @param {string} [code] the host certificate's verification code (short-code.js
 *   `certificateCode`), for guests to compare
 */
export function joinLink(origin, roomId, passcode, code) {
  const base = `${String(origin).replace(/\/+$/, '')}/j/${encodeURIComponent(roomId)}`;
  const frag = [];
  if (code) frag.push(`c=${encodeURIComponent(code)}`);
  if (passcode) frag.push(`p=${encodeURIComponent(passcode)}`);
  return frag.length ? `${base}#${frag.join('&')}` : base;
}

/**
 * The link that leads a guest on the LAN back to a meeting: straight to the meeting's own host
 * (`host`, as its signaling session describes itself) with its certificate's code; when the
 * room is on another host (`via`) whose address is unknown, through the page's host (`?via=`).
 * On this host a page opened on a loopback address links to the host's LAN address instead.
 * @param {object} at
 * @param {string} at.origin the page's host (http(s) origin)
 * @param {string} at.roomId
 * @param {string} at.passcode
 * @param {string|null} at.via the room's host, when not the page's
 * @param {{url: string, fingerprint?: string|null}|null} at.host the meeting's host, if known
 * @param {boolean} at.loopback the page was opened on a loopback address
 * @param {string} at.code the certificate code of the page's own link (or '')
 */
export function meetingLink(at) {
  if (at.via && !at.host?.url) {
    const url = new URL(joinLink(at.origin, at.roomId, at.passcode));
    url.searchParams.set('via', at.via);
    return url.toString();
  }
  const origin = at.host?.url && (at.via || at.loopback) ? at.host.url : at.origin;
  const code = certificateCode(at.host?.fingerprint || '') || (at.via ? '' : at.code);
  return joinLink(origin, at.roomId, at.passcode, /^https:/.test(origin) ? code : '');
}

/**
 * The certificate code a join link carries in its fragment: `#c=<code>`, or the code of the
 * full fingerprint older links carried (`#fp=<64 hex>`); '' when it has neither.
 * @param {string} fragment
 */
export function codeFromFragment(fragment) {
  const f = String(fragment || '').replace(/^#/, '');
  for (const part of f.split('&')) {
    const [k, v = ''] = part.split('=');
    const code = k === 'c' ? normalizeCode(v) : k === 'fp' ? certificateCode(v) : '';
    if (code) return code;
  }
  return '';
}

/**
 * `ab12cd…` as browsers show it: `AB:12:CD:…`.
 * @param {string} hex
 */
export function formatFingerprint(hex) {
  return (String(hex).toUpperCase().match(/../g) || []).join(':');
}

/**
 * Up to two initials of a display name, for the camera-off placeholder.
 * @param {string} name
 */
export function initials(name) {
  const parts = String(name || '').trim().split(/\s+/).filter(Boolean);
  if (!parts.length) return '?';
  const chars = parts.length === 1 ? [...parts[0]].slice(0, 2) : [[...parts[0]][0], [...parts[parts.length - 1]][0]];
  return chars.join('').toUpperCase();
}
