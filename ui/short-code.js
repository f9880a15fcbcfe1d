// Short codes a person can read out and compare, made from a SHA-256 digest. No DOM.
// - `shortCode`: twelve digits in groups of three (the first 40 bits), for the pair
//   verification codes people read aloud to each other.
// - `certificateCode`: ten Crockford base32 characters (the first 50 bits), for the host
//   certificate: join links carry it (`#c=k3f9x2mqpa`) instead of the 64-hex fingerprint, and
//   the invitation and the pre-join page show it (`k3f9x-2mqpa`). Matching it proves a 50-bit
//   prefix of the certificate's SHA-256 matches: enough against a casual impostor on the LAN,
//   not against one who grinds about 2^50 certificates (docs/protocol.md, *Join links*).

/** Crockford base32 as room ids use it (docs/protocol.md): 0-9 a-z without i l o u. */
const BASE32 = '0123456789abcdefghjkmnpqrstvwxyz';

/** Characters of a certificate code; 5 bits each. */
export const CERT_CODE_CHARS = 10;

/**
 * @param {ArrayBuffer|Uint8Array} digest at least 5 bytes
 * @returns {string} e.g. `042 917 300 561`
 */
export function shortCode(digest) {
  const b = digest instanceof Uint8Array ? digest : new Uint8Array(digest);
  let n = 0n;
  for (let i = 0; i < 5; i++) n = (n << 8n) | BigInt(b[i]);
  const digits = (n % 1_000_000_000_000n).toString().padStart(12, '0');
  return digits.replace(/(\d{3})(?=\d)/g, '$1 ');
}

/**
 * SHA-256 of `text`, then its short code (WebCrypto: a secure context, or the desktop shell).
 * @param {string} text
 */
export async function shortCodeOf(text) {
  return shortCode(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
}

/**
 * The verification code of a certificate fingerprint (its SHA-256, 64 hex digits, any case):
 * its first 50 bits in base32, lower case, e.g. `k3f9x2mqpa`; '' for anything else.
 * @param {string} hex
 */
export function certificateCode(hex) {
  if (!/^[0-9a-fA-F]{64}$/.test(String(hex))) return '';
  const bits = BigInt(`0x${hex.slice(0, 13)}`) >> 2n; // 13 hex digits = 52 bits, keep 50
  let out = '';
  for (let i = CERT_CODE_CHARS - 1; i >= 0; i--) out += BASE32[Number((bits >> BigInt(5 * i)) & 31n)];
  return out;
}

/**
 * A certificate code as a person typed or a link carried it (any case, spaces or dashes,
 * Crockford's look-alikes: o → 0, i and l → 1), normalised; '' when it is not one.
 * @param {string} s
 */
export function normalizeCode(s) {
  const c = String(s || '').toLowerCase().replace(/[\s-]+/g, '').replace(/o/g, '0').replace(/[il]/g, '1');
  return c.length === CERT_CODE_CHARS && [...c].every((ch) => BASE32.includes(ch)) ? c : '';
}

/**
 * A certificate code as screens show it: two groups of five, `k3f9x-2mqpa`.
 * @param {string} code
 */
export function formatCode(code) {
  return code ? `${code.slice(0, 5)}-${code.slice(5)}` : '';
}
