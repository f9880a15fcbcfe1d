// The pre-join page's certificate check (#prejoin-fp). On HTTPS it shows guests the fingerprint
// their invitation carries and the one this host says it has: the host's certificate is
// self-signed, so the browser warned, and comparing them is how a person knows it is the right
// host. DOM only (it asks the host's `/api/info` for the second one).

import { byId } from './dom.js';
import { fingerprintFromFragment, formatFingerprint } from '../room-id.js';

export class FingerprintBox {
  constructor() {
    this.box = byId('prejoin-fp');
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
    this.value.textContent = shown ? formatFingerprint(shown) : 'unknown';
    if (fromLink && fromHost && fromLink !== fromHost) {
      this.verdict.textContent =
        'This does NOT match the certificate this host reports. Do not join: ask the person who invited you for a new link.';
      this.verdict.dataset.match = 'no';
    } else if (fromLink && fromHost) {
      this.verdict.textContent = 'It matches the certificate this host reports.';
      this.verdict.dataset.match = 'yes';
    } else {
      this.verdict.textContent = '';
      delete this.verdict.dataset.match;
    }
    this.box.hidden = false;
  }
}
