// The pre-join page's certificate check (#prejoin-fp). On HTTPS the host's certificate is its
// own (self-signed), so the guest's browser warned once; this says why, shows the certificate
// as a short verification code (short-code.js over its SHA-256) that the inviter's screen also
// shows, with the full fingerprint a click away, and says whether the certificate this host
// reports is the one the invitation named (`#fp=`). DOM only (it asks the host's `/api/info`).

import { byId } from './dom.js';
import { fingerprintFromFragment, formatFingerprint } from '../room-id.js';
import { shortCode } from '../short-code.js';
import { t } from '../i18n.js';

/**
 * The verification code of a certificate fingerprint (64 hex digits), or ''.
 * @param {string} hex
 */
export function certificateCode(hex) {
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) return '';
  const bytes = new Uint8Array(32);
  for (let i = 0; i < 32; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return shortCode(bytes);
}

export class FingerprintBox {
  constructor() {
    this.box = byId('prejoin-fp');
    this.intro = byId('prejoin-fp-intro');
    this.code = byId('prejoin-fp-code');
    this.value = byId('prejoin-fp-value');
    this.verdict = byId('prejoin-fp-verdict');
  }

  /**
   * Compare the fingerprint of the link (`hash`, its `#fp=`) with the host's; hidden on HTTP.
   * @param {string} hash
   */
  async check(hash) {
    if (location.protocol !== 'https:') {
      this.box.hidden = true;
      return;
    }
    const fromLink = fingerprintFromFragment(hash);
    let fromHost = '';
    try {
      const info = await (await fetch('/api/info', { cache: 'no-store' })).json();
      fromHost = String(info.fingerprint || '');
    } catch {
      /* shown as unknown */
    }
    const shown = fromLink || fromHost;
    this.intro.textContent = t('first.fp.intro');
    this.code.textContent = certificateCode(shown) || t('first.fp.unknown');
    this.value.textContent = shown ? formatFingerprint(shown) : t('first.fp.unknown');
    if (fromLink && fromHost && fromLink !== fromHost) {
      this.verdict.textContent = t('first.fp.mismatch');
      this.verdict.dataset.match = 'no';
    } else if (fromLink && fromHost) {
      this.verdict.textContent = t('first.fp.match');
      this.verdict.dataset.match = 'yes';
    } else {
      this.verdict.textContent = t('first.fp.compareInviter');
      delete this.verdict.dataset.match;
    }
    this.box.hidden = false;
  }
}
