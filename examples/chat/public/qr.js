// "Sign in with a QR code" (the requesting page) and "Approve a sign-in" (a signed-in page standing in
// for the phone). The requester's key is a non-extractable P-256 key made with WebCrypto; Gatehouse's
// context screen is shown as it comes (English and Chinese), with Decline as the default button.
import { pick, t } from './i18n.js';

const $ = (id) => document.getElementById(id);
const b64url = (buf) =>
  window
    .btoa(String.fromCharCode(...new Uint8Array(buf)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');

export function initQr({ api, applySession }) {
  let poll = null;

  $('qr-start').onclick = async () => {
    clearInterval(poll);
    const status = $('qr-status');
    status.textContent = '';
    try {
      const pair = await window.crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
        'sign',
        'verify',
      ]);
      const jwk = await window.crypto.subtle.exportKey('jwk', pair.publicKey);
      const m = await api('POST', '/api/qr', {
        publicKey: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y },
      });
      $('qr-panel').hidden = false;
      $('qr-image').src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(m.qrSvg)}`;
      $('qr-url').textContent = m.url;
      status.textContent = t('qrWaiting');
      poll = setInterval(async () => {
        const s = await api('GET', `/api/qr/${encodeURIComponent(m.id)}`).catch((e) => ({
          state: e.code === 'QR_CODE_EXPIRED' ? 'expired' : 'error',
          error: e,
        }));
        if (s.state === 'pending') return;
        clearInterval(poll);
        if (s.state === 'declined') status.textContent = t('qrDeclined');
        else if (s.state === 'expired') status.textContent = t('qrExpired');
        else if (s.state === 'approved') {
          const sig = await window.crypto.subtle.sign(
            { name: 'ECDSA', hash: 'SHA-256' },
            pair.privateKey,
            new TextEncoder().encode(`gatehouse-qr-login|${m.id}|${m.challenge}`),
          );
          try {
            const session = await api('POST', `/api/qr/${encodeURIComponent(m.id)}/session`, {
              signature: b64url(sig),
            });
            $('qr-panel').hidden = true;
            applySession(session);
          } catch (e) {
            status.textContent = e.message;
          }
        } else status.textContent = s.error?.message ?? s.state;
      }, 1000);
    } catch (e) {
      status.textContent = e.message;
    }
  };

  let code = '';
  const box = $('qr-context');
  const say = (text, kind) => {
    const q = $('qr-question');
    q.textContent = text;
    q.className = `qr-question ${kind ?? ''}`;
  };
  $('qr-approve-form').onsubmit = async (ev) => {
    ev.preventDefault();
    // a previous code's facts must never stand beside a new code: hide them until this one loads
    box.hidden = true;
    $('qr-facts').replaceChildren();
    $('qr-warnings').replaceChildren();
    code = '';
    const asked = $('qr-code').value.trim();
    if (!asked) return;
    try {
      const c = await api('POST', '/api/me/qr/context', { code: asked });
      code = asked;
      const d = c.requester.device;
      const facts = [
        t('qrDevice', { v: d.label || [d.browser, d.os].filter(Boolean).join(' / ') }),
        t('qrNetwork', { v: `${c.requester.network} — ${pick(c.distance.en, c.distance.zh)}` }),
        t('qrPlace', { v: pick(c.requester.location.en, c.requester.location.zh) }),
        t('qrTime', { v: new Date(c.requestedAt).toLocaleString() }),
        pick(c.grants.en, c.grants.zh),
      ];
      $('qr-facts').replaceChildren(
        ...facts.map((f) => Object.assign(document.createElement('li'), { textContent: f })),
      );
      $('qr-warnings').replaceChildren(
        ...c.warnings.map((w) => {
          const li = Object.assign(document.createElement('li'), {
            textContent: pick(w.en, w.zh),
            className: 'warn',
          });
          li.dataset.signal = w.signal;
          return li;
        }),
      );
      say(pick(c.question.en, c.question.zh));
      $('qr-front').checked = false;
      box.hidden = false;
      $('qr-decline').focus(); // Decline is the default
    } catch (e) {
      box.hidden = false;
      $('qr-facts').replaceChildren();
      $('qr-warnings').replaceChildren();
      say(e.message, 'error');
    }
  };
  const decide = async (decision) => {
    if (!code) return;
    if (decision === 'approve' && !$('qr-front').checked) return say(t('qrNeedFront'), 'error');
    try {
      await api('POST', '/api/me/qr/decision', { code, decision, inFrontOfMe: $('qr-front').checked });
      say(t(decision === 'approve' ? 'qrApproved' : 'qrDeclinedHere'));
      $('qr-code').value = '';
    } catch (e) {
      say(e.message, 'error');
    }
  };
  $('qr-decline').onclick = () => decide('decline');
  $('qr-approve').onclick = () => decide('approve');
}
