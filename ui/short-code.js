// A short code a person can read out and compare: twelve digits in groups of three, made from
// the first 40 bits of a SHA-256 digest. Used for the host certificate (instead of its 95-hex
// fingerprint) and for the pair verification codes. No DOM.

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
