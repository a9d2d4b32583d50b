import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse, type DefaultTreeAdapterMap } from 'parse5';
import { renderIdentityReport } from '../../../bot/render/report/identity-report';
import type { IdentityReportContent, ReportGrant } from '../../../domain/report/content';

/** The report document by value: empty sections in one line each, long lists cut and counted. */

type Node = DefaultTreeAdapterMap['node'];

const EMPTY: IdentityReportContent = {
  asked: 'ghost@example.com',
  person: 'ghost@example.com',
  subjects: [],
  systems: [],
  period: { from: '2026-09-03', to: '2026-12-01', days: 90 },
  generatedAt: '2026-12-01T12:00:00.000Z',
  requestedBy: 'sec@example.com',
  permissions: [],
  usage: { days: [], notes: [] },
  grants: { rows: [], total: 0 },
  decisionsGiven: { rows: [], total: 0 },
  findings: [],
  pciHistory: { rows: [], total: 0 },
  anomalies: { rows: [], total: 0 },
  cleanup: { rows: [], total: 0 },
  auditChain: 'Every audit row listed here verifies.',
};

function sectionTexts(html: string): Map<string, string> {
  const found = new Map<string, string>();
  const text = (n: Node): string =>
    n.nodeName === '#text'
      ? (n as DefaultTreeAdapterMap['textNode']).value
      : 'childNodes' in n
        ? n.childNodes.map(text).join('')
        : '';
  const walk = (n: Node): void => {
    if ('tagName' in n && n.tagName === 'section') {
      const id = n.attrs.find((a) => a.name === 'id')?.value ?? '?';
      found.set(id, text(n).replace(/\s+/g, ' ').trim());
    }
    if ('childNodes' in n) n.childNodes.forEach(walk);
  };
  walk(parse(html));
  return found;
}

describe('identity report document', () => {
  test('a section with no data says so in one line', () => {
    const sections = sectionTexts(renderIdentityReport(EMPTY).html);
    assert.deepEqual(Object.fromEntries(sections), {
      permissions: 'Permissions granted vs used No cloud identity in the current inventory.',
      usage: sections.get('usage'),
      grants: 'Just-in-time grants No just-in-time requests or grants in this period.',
      decisions: 'Decisions on others’ requests No decisions on others’ requests in this period.',
      findings: 'Findings and PCI No assessed cloud identity: nothing to score.',
      'pci-history': 'PCI history No PCI history stored for this period.',
      anomalies: 'Anomalies No anomalies in this period.',
      cleanup: 'Cleanup history No cleanup planned for this identity in this period.',
    });
    assert.match(sections.get('usage')!, /No calls recorded in this period\.$/);
  });

  test('a list past the cap shows its first rows and counts the rest', () => {
    const grant: ReportGrant = {
      requestId: 'r-0000000001',
      requester: 'ghost@example.com',
      entitlementId: 'prod-read',
      title: 'Read production',
      systemId: 'aws-prod',
      status: 'revoked',
      outcome: 'auto-approved',
      reason: 'INC-1',
      submittedAt: '2026-11-01T00:00:00.000Z',
      durationSeconds: 3600,
      approvals: [],
      audit: [],
    };
    const html = renderIdentityReport({ ...EMPTY, grants: { rows: [grant], total: 100_000 } }).html;
    assert.match(
      sectionTexts(html).get('grants')!,
      /No approver: auto-approved\. .*99,999 more requests not shown \(the report lists the first 1,000\)\.$/,
    );
  });
});
