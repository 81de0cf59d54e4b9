import type { IncidentNotice } from './service.ts';

/** Markdown of an incident notice, English then Chinese. */
export function renderMarkdown(n: IncidentNotice): string {
  const list = (xs: string[]) => xs.map((x) => `- ${x}`).join('\n');
  return `# Incident ${n.incident.id}: ${n.incident.title}

Status: **${n.incident.status}** · opened ${n.incident.openedAt} · last update ${n.incident.updatedAt}${n.incident.closedAt ? ` · closed ${n.incident.closedAt}` : ''}

## What happened
${n.whatHappened.en}

## What data and whom
${list(n.dataInvolved.en)}

${n.whoIsAffected.en}

## Cause
${n.cause.en}

## Possible harm
${list(n.possibleHarm.en)}

## What we did
${list(n.remediesTaken.en)}

## What you can do
${list(n.whatUsersCanDo.en)}

## Contact
${n.contact}

---

# 事件 ${n.incident.id}

## 发生了什么
${n.whatHappened['zh-CN']}

## 涉及的信息与人员
${list(n.dataInvolved['zh-CN'])}

${n.whoIsAffected['zh-CN']}

## 原因
${n.cause['zh-CN']}

## 可能的危害
${list(n.possibleHarm['zh-CN'])}

## 已采取的补救措施
${list(n.remediesTaken['zh-CN'])}

## 你可以做什么
${list(n.whatUsersCanDo['zh-CN'])}

## 联系方式
${n.contact}

---

## Timeline / 时间线
| time | event | summary |
|---|---|---|
${n.timeline.map((t) => `| ${t.at} | ${t.kind} | ${t.summary.replaceAll('|', '\\|')} |`).join('\n')}
${n.notes.length ? `\n## Operator notes / 运维备注\n${n.notes.map((x) => `- ${x.at} ${x.author}: ${x.text}`).join('\n')}\n` : ''}`;
}
