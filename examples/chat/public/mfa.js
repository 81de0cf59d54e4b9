// Second factors: the sign-in's second step (Gatehouse held the sign-in because the device or network is
// new to the account: the page shows why and asks for a code) and the authenticator app in the settings
// (Gatehouse's secret as a QR code, confirmed with a first code).
import { pick, t } from './i18n.js';

const $ = (id) => document.getElementById(id);

export function initMfa({ api, applySession }) {
  let challenge = null;

  /** Shows the second step for a SIGNIN_SECOND_FACTOR_REQUIRED answer; false when it is not one. */
  function secondStep(e) {
    if (e.code !== 'SIGNIN_SECOND_FACTOR_REQUIRED' || !e.data?.challenge) return false;
    challenge = e.data.challenge;
    $('mfa-why').replaceChildren(
      ...(e.data.signals ?? []).map((s) => {
        const li = Object.assign(document.createElement('li'), { textContent: pick(s.en, s.zh) });
        li.dataset.signal = s.name;
        return li;
      }),
    );
    $('mfa-error').textContent = '';
    $('mfa-code').value = '';
    $('auth-form').hidden = true;
    $('mfa-form').hidden = false;
    $('mfa-code').focus();
    return true;
  }

  $('mfa-form').onsubmit = async (ev) => {
    ev.preventDefault();
    $('mfa-error').textContent = '';
    try {
      const s = await api('POST', '/api/signin/second-factor', {
        challenge,
        method: 'totp',
        code: $('mfa-code').value.trim(),
      });
      $('mfa-form').hidden = true;
      $('auth-form').hidden = false;
      applySession(s);
    } catch (e) {
      $('mfa-error').textContent = e.message;
    }
  };

  $('totp-start').onclick = async () => {
    $('totp-status').textContent = '';
    try {
      const e = await api('POST', '/api/me/totp');
      $('totp-qr').src = e.qrDataUrl;
      $('totp-secret').textContent = e.secret;
      $('totp-panel').hidden = false;
      $('totp-code').focus();
    } catch (e) {
      $('totp-status').textContent = e.message;
    }
  };
  $('totp-confirm').onsubmit = async (ev) => {
    ev.preventDefault();
    try {
      await api('POST', '/api/me/totp/confirm', { code: $('totp-code').value.trim() });
      $('totp-panel').hidden = true;
      $('totp-code').value = '';
      $('totp-status').textContent = t('totpDone');
    } catch (e) {
      $('totp-status').textContent = e.message;
    }
  };

  // passkeys: WebAuthn in the browser with Gatehouse's options (JSON form), the answer back as JSON
  const webauthn = () =>
    window.PublicKeyCredential?.parseCreationOptionsFromJSON && navigator.credentials
      ? window.PublicKeyCredential
      : null;
  $('passkey-signin').onclick = async () => {
    $('auth-error').textContent = '';
    const P = webauthn();
    if (!P) return ($('auth-error').textContent = t('passkeyUnsupported'));
    try {
      const o = await api('POST', '/api/passkey/options');
      const cred = await navigator.credentials.get({ publicKey: P.parseRequestOptionsFromJSON(o.options) });
      applySession(await api('POST', '/api/passkey', { ceremony: o.ceremony, credential: cred.toJSON() }));
    } catch (e) {
      $('auth-error').textContent = e.message;
    }
  };
  $('passkey-add').onsubmit = async (ev) => {
    ev.preventDefault();
    $('passkey-status').textContent = '';
    const P = webauthn();
    if (!P) return ($('passkey-status').textContent = t('passkeyUnsupported'));
    try {
      const name = $('passkey-name').value.trim();
      const o = await api('POST', '/api/me/passkeys/options', { name });
      const cred = await navigator.credentials.create({
        publicKey: P.parseCreationOptionsFromJSON(o.options),
      });
      const k = await api('POST', '/api/me/passkeys', { ceremony: o.ceremony, credential: cred.toJSON() });
      $('passkey-name').value = '';
      $('passkey-status').textContent = t('passkeyAdded', { v: k.name });
    } catch (e) {
      $('passkey-status').textContent = e.message;
    }
  };

  return { secondStep };
}
