/** Content: the text score, intents, link verdicts and image-bank matches of the message. */
import { clamp01 } from '../signals.ts';
import type { Detector, MessageContext } from './context.ts';

export const content: Detector<MessageContext> = {
  name: 'content',
  run(c, out) {
    const r = c.content;
    if (r.probability > 0.5)
      out.emit(
        'text_score',
        Math.round(r.probability * 1000) / 1000,
        (r.probability - 0.5) / 0.5,
        `the text looks like spam or a scam (p=${r.probability.toFixed(2)})`,
        `文本疑似垃圾信息或诈骗（概率 ${r.probability.toFixed(2)}）`,
      );
    if (r.moneyTerm !== undefined)
      out.emit(
        'intent_money',
        r.moneyTerm,
        1,
        `asks for money ("${r.moneyTerm}")`,
        `涉及借钱/转账（“${r.moneyTerm}”）`,
      );
    if (r.abuseTerm !== undefined)
      out.emit(
        'intent_abuse',
        r.abuseIntent ?? '',
        1,
        `${r.abuseIntent} wording ("${r.abuseTerm}")`,
        `含有${r.abuseIntent}相关用语（“${r.abuseTerm}”）`,
        { term: r.abuseTerm },
      );
    const w = r.worst;
    if (w) {
      const brand = w.brand ? ` imitating ${w.brand}` : '';
      const split = w.reasons.includes('url.split_across_messages');
      const en = split ? ', split across two messages' : '';
      const zh = split ? '（拆分在两条消息中）' : '';
      if (w.verdict === 'blocked')
        out.emit(
          'url_blocked',
          w.registeredDomain,
          1,
          `link to a blocked site (${w.registeredDomain})${en}`,
          `链接到已封禁的网站（${w.registeredDomain}）${zh}`,
          split ? { split: 1 } : undefined,
        );
      else if (w.verdict === 'lookalike')
        out.emit(
          'url_lookalike',
          w.registeredDomain,
          1,
          `link to a lookalike site${brand} (${w.registeredDomain})${en}`,
          `链接到仿冒网站${w.brand ? `（仿冒 ${w.brand}）` : ''}（${w.registeredDomain}）${zh}`,
          w.brand || split
            ? { ...(w.brand ? { brand: w.brand } : {}), ...(split ? { split: 1 } : {}) }
            : undefined,
        );
      else if (w.verdict === 'suspicious')
        out.emit(
          'url_suspicious',
          w.registeredDomain,
          1,
          `link to a suspicious site (${w.registeredDomain})${en}`,
          `链接到可疑网站（${w.registeredDomain}）${zh}`,
          split ? { split: 1 } : undefined,
        );
    }
    const q = c.loginQr;
    if (q) out.emit('login_qr_shared', q.source, q.strength, q.en, q.zh);
    if (c.imageMatches.length > 0) {
      const m = c.imageMatches[0]!;
      out.emit(
        'image_bank',
        m.label,
        1,
        `image matches the "${m.label}" hash bank`,
        `图片命中“${m.label}”哈希库`,
      );
    }
  },
};

/**
 * Friend after friend asked for money, a code or a scam's favour within 10 minutes, whatever the session:
 * the owner's own phone taken unlocked, or a session stolen with its cookie, looks like the owner in every
 * other way. A content signal, so the owner's familiar client takes none of it back; from the third
 * person at two thirds of its strength, full from the fourth. A share of a split cost does not count (pipeline.ts).
 */
export const repeatedAsk: Detector<MessageContext> = {
  name: 'repeated_ask',
  run(c, out) {
    if (c.asks10 < 3) return;
    out.emit(
      'repeated_ask',
      c.asks10,
      clamp01((c.asks10 - 2) / 1.5),
      `asked ${c.asks10} people for money or a code within 10 minutes (${c.solicit})`,
      `10 分钟内向 ${c.asks10} 人借钱或索要验证码（“${c.solicit}”）`,
    );
  },
};
