// The pre-join page's certificate check (#prejoin-fp). On HTTPS the host's certificate is its
// own (self-signed), so the guest's browser warned once; this says why, shows the certificate
// as a short verification code (short-code.js `certificateCode`) that the inviter's screen
// also shows, with the full fingerprint a click away, and says whether the certificate this
// host reports is the one the invitation named (`#c=`, or an older link's `#fp=`). DOM only (it
// asks the host's `/api/info`).

import { byId } from './dom.js';
import { codeFromFragment, formatFingerprint } from '../room-id.js';
import { certificateCode, formatCode } from '../short-code.js';
import { t } from '../i18n.js';

export class FingerprintBox {
  constructor() {
    this.box = byId('prejoin-fp');
    this.intro = byId('prejoin-fp-intro');
    this.code = byId('prejoin-fp-code');
    this.value = byId('prejoin-fp-value');
    this.verdict = byId('prejoin-fp-verdict');
  }

  /**
   * Compare the code of the link (`hash`) with the code of the fingerprint the host reports;
   * hidden on HTTP.
   * @param {string} hash
   */
  async check(hash) {
    if (location.protocol !== 'https:') {
      this.box.hidden = true;
      return;
    }
    const fromLink = codeFromFragment(hash);
    let fromHost = '';
    try {
      const info = await (await fetch('/api/info', { cache: 'no-store' })).json();
      fromHost = String(info.fingerprint || '');
    } catch {
      /* shown as unknown */
    }
    const hostCode = certificateCode(fromHost);
    this.intro.textContent = t('first.fp.intro');
    this.code.textContent = formatCode(hostCode || fromLink) || t('first.fp.unknown');
    this.value.textContent = hostCode ? formatFingerprint(fromHost) : t('first.fp.unknown');
    if (fromLink && hostCode && fromLink !== hostCode) {
      this.verdict.textContent = t('first.fp.mismatch', { code: formatCode(fromLink) });
      this.verdict.dataset.match = 'no';
    } else if (fromLink && hostCode) {
      this.verdict.textContent = t('first.fp.match');
      this.verdict.dataset.match = 'yes';
    } else {
      this.verdict.textContent = t('first.fp.compareInviter');
      delete this.verdict.dataset.match;
    }
    this.box.hidden = false;
  }
}
