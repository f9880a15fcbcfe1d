// The invitation (#invite): the join link, its QR code (drawn by the host), and on HTTPS the
// certificate's verification code (the full fingerprint a click away) with a sentence for
// guests about their browser's one-time warning; and copying text to the clipboard, for the
// page and the desktop host panel alike. DOM only.

import { byId } from './dom.js';
import { codeFromFragment, formatFingerprint } from '../room-id.js';
import { certificateCode, formatCode } from '../short-code.js';
import { t } from '../i18n.js';

/**
 * Copy `text` to the clipboard; where the Clipboard API is refused (plain HTTP on a LAN
 * address is not a secure context), through a hidden text area. Resolves to whether it worked.
 * @param {string} text
 * @returns {Promise<boolean>}
 */
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const ta = document.createElement('textarea');
    ta.value = text;
    ta.setAttribute('readonly', '');
    ta.style.position = 'fixed';
    ta.style.opacity = '0';
    document.body.append(ta);
    ta.select();
    let ok = false;
    try {
      ok = document.execCommand('copy');
    } catch {
      ok = false;
    }
    ta.remove();
    return ok;
  }
}

/**
 * The link as a person reads it: without the fragment (the certificate code and passcode
 * travel in it, the QR code and the copied link keep them).
 * @param {string} url
 */
export function shortLink(url) {
  const u = new URL(url);
  return `${u.host}${u.pathname}${u.search}`;
}

export class InviteView {
  constructor() {
    this.dialog = /** @type {HTMLDialogElement} */ (byId('invite'));
    this.link = byId('invite-link');
    this.qr = /** @type {HTMLImageElement} */ (byId('invite-qr'));
    this.fp = byId('invite-fp');
    this.cert = byId('invite-cert');
    this.code = byId('invite-code');
    this.alone = byId('invite-alone');
    this.copy = byId('invite-copy');
    this.copy.addEventListener('click', async () => {
      const ok = await copyText(this.link.title);
      this.copy.textContent = t(ok ? 'first.invite.copied' : 'first.invite.copy');
    });
  }

  /**
   * Show the invitation for `url` (its `#c=` gives the certificate code shown).
   * @param {string} url
   * @param {{alone?: boolean, fingerprint?: string}} [how] `alone`: offered because the person
   *   is alone in the meeting; `fingerprint`: the meeting host's (hex), shown behind a click
   *   when it is the one the link's code names
   */
  show(url, how = {}) {
    this.link.textContent = shortLink(url);
    this.link.title = url;
    this.copy.textContent = t('first.invite.copy');
    this.qr.src = `/api/qr.svg?text=${encodeURIComponent(url)}`;
    const code = codeFromFragment(new URL(url).hash);
    const fp = code && certificateCode(how.fingerprint || '') === code ? String(how.fingerprint) : '';
    this.cert.hidden = !code;
    this.code.textContent = formatCode(code);
    this.fp.textContent = fp ? formatFingerprint(fp) : t('first.fp.unknown');
    this.alone.hidden = !how.alone;
    this.dialog.dataset.alone = String(!!how.alone);
    if (!this.dialog.open) this.dialog.showModal?.();
  }

  get open() {
    return this.dialog.open;
  }
}
