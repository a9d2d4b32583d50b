import type { Capped, IdentityReportContent, ReportGrant } from '../../../domain/report/content';
import { REPORT_SECTION_ROWS } from '../../../domain/report/content';
import { usageTimelineChart, type Chart } from '../charts';
import { cell, count, el, span, table, text, when } from './html';

/**
 * The forensic identity report as one self-contained HTML file: inline CSS, the usage chart as inline
 * SVG, no script, no external URL, and a Content-Security-Policy that would refuse either if one ever
 * slipped in. Pure: content in, document out. Every value from the data goes through `text`.
 */

/** No script, no fetch, no frame, no form: styles and the inline SVG are all the file needs. */
export const REPORT_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

const STYLE = `
body { font-family: "DejaVu Sans", Verdana, sans-serif; color: #222; margin: 2rem auto; max-width: 70rem; padding: 0 1rem; line-height: 1.4; }
h1 { font-size: 1.6rem; margin-bottom: .25rem; } h2 { font-size: 1.25rem; margin-top: 2.2rem; border-bottom: 1px solid #e3e5e8; }
h3 { font-size: 1rem; margin: 1.4rem 0 .4rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; } dl.facts dt { color: #5f6368; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0 1rem; font-size: .9rem; }
th, td { border: 1px solid #e3e5e8; padding: .25rem .45rem; text-align: left; vertical-align: top; }
th { background: #f4f5f7; } td.num { text-align: right; } .hash { font-family: "DejaVu Sans Mono", monospace; font-size: .78rem; word-break: break-all; }
.empty, .more, .note { color: #5f6368; } .bad { color: #b00020; font-weight: bold; } .ok { color: #00695c; }
article.grant { border: 1px solid #e3e5e8; border-radius: 4px; padding: .2rem 1rem .6rem; margin: 1rem 0; }
figure { margin: 0; } figure svg { max-width: 100%; height: auto; } figcaption { color: #5f6368; font-size: .9rem; }
@media print { article.grant { break-inside: avoid; } }
`;

export interface RenderedReport {
  html: string;
  title: string;
  chart: Chart;
}

export function renderIdentityReport(content: IdentityReportContent): RenderedReport {
  const title = `Identity report: ${content.person ?? content.subjects[0]?.name ?? content.asked}`;
  const chart = usageTimelineChart({ from: content.period.from, to: content.period.to, days: content.usage.days });
  const body = [
    header(content, title),
    permissions(content),
    usage(content, chart),
    grants(content),
    decisionsGiven(content),
    findings(content),
    pciHistory(content),
    anomalies(content),
    cleanup(content),
    `<footer><p class="note">${text(content.auditChain)}</p></footer>`,
  ].join('\n');
  const html = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${REPORT_CSP}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${text(title)}</title>
<style>${STYLE}</style>
</head>
<body>
${body}
</body>
</html>
`;
  return { html, title, chart };
}

function section(id: string, heading: string, inner: string): string {
  return `<section id="${id}">\n<h2>${text(heading)}</h2>\n${inner}\n</section>`;
}

function empty(line: string): string {
  return `<p class="empty">${text(line)}</p>`;
}

/** "12 more not shown (the report lists the first 1,000)". */
function leftOut(list: Capped<unknown>, noun: string): string {
  const more = list.total - list.rows.length;
  return more > 0
    ? `<p class="more">${text(`${count(more)} more ${noun} not shown (the report lists the first ${count(REPORT_SECTION_ROWS)}).`)}</p>`
    : '';
}

function header(content: IdentityReportContent, title: string): string {
  const who = content.person
    ? `${content.person} (a person: requests, approvals and ${content.subjects.length} cloud ${content.subjects.length === 1 ? 'identity' : 'identities'})`
    : content.subjects.map((s) => `${s.name} (${s.kind}, ${s.identityId})`).join('; ');
  const facts: [string, string][] = [
    ['Who', who || content.asked],
    ['Asked as', content.asked],
    ['Systems', content.systems.length ? content.systems.join(', ') : 'none in the inventory'],
    ['Period', `${content.period.from} to ${content.period.to} (${content.period.days} days, UTC)`],
    ['Generated', when(content.generatedAt)],
    ['By', content.requestedBy],
  ];
  const subjects =
    content.person && content.subjects.length > 0
      ? table(
          ['System', 'Identity', 'Kind', 'Id'],
          content.subjects.map((s) => [cell(s.systemId), cell(s.name), cell(s.kind), cell(s.identityId, 'hash')]),
        )
      : '';
  return `<header id="header">
<h1>${text(title)}</h1>
<dl class="facts">${facts.map(([k, v]) => `${el('dt', k)}${el('dd', v)}`).join('')}</dl>
${subjects}
</header>`;
}

function permissions(content: IdentityReportContent): string {
  if (content.permissions.length === 0)
    return section('permissions', 'Permissions granted vs used', empty('No cloud identity in the current inventory.'));
  const rows = content.permissions.map((p) => [
    cell(p.systemId),
    cell(p.name),
    cell(count(p.granted), 'num'),
    cell(count(p.used), 'num'),
    cell(count(p.unused), 'num'),
    cell(count(p.unknown), 'num'),
    cell(count(p.highRisk), 'num'),
    cell(`${p.window.from.slice(0, 10)} to ${p.window.to.slice(0, 10)}`),
  ]);
  const top = content.permissions
    .filter((p) => p.topUnusedHighRisk.length > 0)
    .map((p) => {
      const more = p.unusedHighRisk - p.topUnusedHighRisk.length;
      return `<h3>${text(`Unused high-risk actions of ${p.name} (${p.systemId}): ${count(p.unusedHighRisk)}`)}</h3>
${table(
  ['Action', 'Risk categories'],
  p.topUnusedHighRisk.map((a) => [cell(a.action), cell(a.categories.join(', '))]),
)}${more > 0 ? `<p class="more">${text(`${count(more)} more not listed.`)}</p>` : ''}`;
    })
    .join('\n');
  return section(
    'permissions',
    'Permissions granted vs used',
    `${table(['System', 'Identity', 'Granted', 'Used', 'Unused', 'Unknown', 'High-risk held', 'Usage window'], rows)}
<p class="note">Unknown means no usage source covered the action: unknown is never counted as unused.</p>
${top}`,
  );
}

function usage(content: IdentityReportContent, chart: Chart): string {
  const active = content.usage.days.filter((d) => d.calls > 0 || d.denied > 0);
  const note =
    active.length === 0
      ? 'No calls recorded in this period.'
      : active.length === 1
        ? `Calls were recorded on one day only: ${active[0]!.day}.`
        : '';
  const svg = chart.svg.replace(/^<svg\b[^>]*>/, (open) => `${open}<title>${text(chart.alt)}</title>`);
  return section(
    'usage',
    'Usage timeline',
    `<figure role="img" aria-label="${text(chart.alt)}">
${svg}
<figcaption>${text(chart.alt)}</figcaption>
</figure>
${note ? `<p class="note">${text(note)}</p>` : ''}
${content.usage.notes.map((n) => `<p class="note">${text(n)}</p>`).join('\n')}`,
  );
}

function grants(content: IdentityReportContent): string {
  if (content.grants.rows.length === 0)
    return section('grants', 'Just-in-time grants', empty('No just-in-time requests or grants in this period.'));
  return section(
    'grants',
    'Just-in-time grants',
    `<p class="note">${text(
      `${count(content.grants.total)} request(s) in the period, newest first. Each audit row is checked: its hash against its contents and its link to the row before it.`,
    )}</p>
${content.grants.rows.map(grant).join('\n')}
${leftOut(content.grants, 'requests')}`,
  );
}

function grant(g: ReportGrant): string {
  const facts: [string, string][] = [
    ['Requester', g.requester],
    ['Entitlement', `${g.title} [${g.entitlementId}] on ${g.systemId}`],
    ['Status', `${g.status} (${g.outcome})`],
    ['Reason', g.ticket ? `${g.reason} (${g.ticket})` : g.reason],
    ['Submitted', when(g.submittedAt)],
    ['Granted', when(g.grantedAt)],
    [
      'Ended',
      g.endedAt
        ? `${when(g.endedAt)}${g.endedBy ? ` by ${g.endedBy}` : ''}${g.endReason ? `: ${g.endReason}` : ''}`
        : '–',
    ],
    [
      'Duration',
      `${span(g.durationSeconds)} asked${g.heldSeconds !== undefined ? `; held ${span(g.heldSeconds)}` : ''}`,
    ],
    ['Revocation proof', g.revocationProof ?? (g.grantedAt ? 'not revoked yet' : 'never granted')],
  ];
  const approvals =
    g.approvals.length === 0
      ? empty(g.outcome === 'needs-approval' ? 'No approval recorded.' : `No approver: ${g.outcome}.`)
      : table(
          ['Approver', 'Verdict', 'Stage', 'When', 'Reason'],
          g.approvals.map((a) => [cell(a.approver), cell(a.verdict), cell(a.stage), cell(when(a.at)), cell(a.reason)]),
          'approvals',
        );
  const audit =
    g.audit.length === 0
      ? empty('No audit rows recorded for this request.')
      : table(
          ['Seq', 'When', 'Actor', 'Action', 'Hash', 'Previous hash', 'Chain'],
          g.audit.map((a) => [
            cell(a.seq, 'num'),
            cell(when(a.at)),
            cell(a.actor),
            cell(a.action),
            cell(a.hash, 'hash'),
            cell(a.prevHash, 'hash'),
            a.verified ? el('td', 'verified', 'ok') : el('td', 'BROKEN', 'bad'),
          ]),
          'audit',
        );
  return `<article class="grant">
<h3>${text(`${g.requestId}: ${g.entitlementId} for ${g.requester}`)}</h3>
<dl class="facts">${facts.map(([k, v]) => `${el('dt', k)}${el('dd', v)}`).join('')}</dl>
${approvals}
${audit}
</article>`;
}

function decisionsGiven(content: IdentityReportContent): string {
  const given = content.decisionsGiven;
  if (!given) return '';
  if (given.rows.length === 0)
    return section(
      'decisions',
      'Decisions on others’ requests',
      empty('No decisions on others’ requests in this period.'),
    );
  return section(
    'decisions',
    'Decisions on others’ requests',
    `${table(
      ['When', 'Request', 'Requester', 'Entitlement', 'Verdict', 'Stage', 'Reason'],
      given.rows.map((d) => [
        cell(when(d.at)),
        cell(d.requestId),
        cell(d.requester),
        cell(d.entitlementId),
        cell(d.verdict),
        cell(d.stage),
        cell(d.reason),
      ]),
    )}
${leftOut(given, 'decisions')}`,
  );
}

function findings(content: IdentityReportContent): string {
  if (content.findings.length === 0)
    return section('findings', 'Findings and PCI', empty('No assessed cloud identity: nothing to score.'));
  const parts = content.findings.map((f) => {
    const pci = f.pci
      ? `<p>${text(
          `PCI ${f.pci.score} (${f.pci.band})${f.pci.ceiling > f.pci.score ? `, up to ${f.pci.ceiling} if every unknown action were unused` : ''}; without the top contributors: ${f.pci.ifTopRemoved}.`,
        )}</p>
${
  f.pci.contributors.length === 0
    ? empty('No contributors: nothing shown unused.')
    : table(
        ['Points', 'Contributor', 'Actions'],
        f.pci.contributors.map((c) => [cell(c.points, 'num'), cell(c.label), cell(c.actions.join(', '))]),
        'contributors',
      )
}`
      : empty(f.scored ? 'Not scored.' : 'Not scored: a group, a credential, or a cloud-managed identity.');
    const list =
      f.findings.length === 0
        ? empty('No findings.')
        : table(
            ['Severity', 'Kind', 'Finding', 'Evidence', 'Suppressed'],
            f.findings.map((x) => [
              cell(x.severity),
              cell(x.kind),
              cell(x.title),
              cell(x.evidence.slice(0, 4).join(' · ')),
              cell(
                x.suppressed
                  ? `until ${x.suppressed.until.slice(0, 10)} by ${x.suppressed.by}: ${x.suppressed.reason}`
                  : undefined,
              ),
            ]),
            'findings',
          );
    return `<h3>${text(`${f.name} (${f.systemId})`)}</h3>\n${pci}\n${list}`;
  });
  return section('findings', 'Findings and PCI', parts.join('\n'));
}

function pciHistory(content: IdentityReportContent): string {
  const history = content.pciHistory;
  if (history.rows.length === 0)
    return section('pci-history', 'PCI history', empty('No PCI history stored for this period.'));
  const names = new Map(content.subjects.map((s) => [`${s.systemId}|${s.identityId}`, s.name]));
  return section(
    'pci-history',
    'PCI history',
    `${table(
      ['Day', 'System', 'Identity', 'PCI'],
      history.rows.map((p) => [
        cell(p.day),
        cell(p.systemId),
        cell(names.get(`${p.systemId}|${p.identityId}`) ?? p.identityId),
        cell(p.pci, 'num'),
      ]),
    )}
${leftOut(history, 'days')}`,
  );
}

function anomalies(content: IdentityReportContent): string {
  const found = content.anomalies;
  if (found.unavailable) return section('anomalies', 'Anomalies', empty(found.unavailable));
  if (found.rows.length === 0) return section('anomalies', 'Anomalies', empty('No anomalies in this period.'));
  return section(
    'anomalies',
    'Anomalies',
    `${table(
      ['Day', 'System', 'Identity', 'Kind', 'Severity', 'What', 'Suppressed'],
      found.rows.map((a) => [
        cell(a.day),
        cell(a.systemId),
        cell(a.identityName),
        cell(a.kind),
        cell(a.severity),
        cell(a.explanation),
        cell(a.suppressed),
      ]),
    )}
${leftOut(found, 'anomalies')}`,
  );
}

function cleanup(content: IdentityReportContent): string {
  const items = content.cleanup;
  if (items.rows.length === 0)
    return section('cleanup', 'Cleanup history', empty('No cleanup planned for this identity in this period.'));
  return section(
    'cleanup',
    'Cleanup history',
    `${table(
      ['Planned', 'Run', 'Mode', 'Change', 'Object', 'Actions', 'Outcome', 'Decided by', 'Restored', 'Reason'],
      items.rows.map((c) => [
        cell(when(c.plannedAt)),
        cell(c.runId),
        cell(c.mode),
        cell(c.change),
        cell(c.object),
        cell(count(c.actions), 'num'),
        cell(c.outcomeAt ? `${c.outcome} at ${when(c.outcomeAt)}` : c.outcome),
        cell(c.decidedBy),
        cell(c.restoredAt ? `${when(c.restoredAt)} by ${c.restoredBy ?? '?'}` : undefined),
        cell(c.reason),
      ]),
    )}
${leftOut(items, 'cleanup items')}`,
  );
}
