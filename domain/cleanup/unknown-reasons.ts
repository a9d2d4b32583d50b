import { coveredSpans, serviceOf, vouchRefusal } from '../inventory/coverage';
import type { Coverage } from '../inventory/model';
import { usageContext, usageFacts } from '../inventory/verdicts';
import type { GrantedAction, IdentityView } from '../inventory/view';
import { byText, plural } from './words';

const DAY_MS = 86_400_000;

/**
 * Why actions are unknown, most common reason first: "12 actions: access-advisor sees services only, and
 * …". A reason depends only on the coverage, the action and whether its service and the identity show
 * use (and, with coverage tied to a document, the documents granting it): kept per coverage signature,
 * as identities mostly share theirs.
 */
export class UnknownReasons {
  private readonly tables = new Map<string, Map<string, string>>();
  private size = 0;

  constructor(private readonly window: { from: string; to: string }) {}

  detail(view: IdentityView, unknown: readonly GrantedAction[]): string {
    if (view.coverage.length === 0) return 'no usage source covers this identity';
    const from = Date.parse(this.window.from);
    const facts = usageFacts(view.usage, view.identity);
    const table = this.table(view.coverage);
    const byDocument = view.coverage.some((c) => c.documentId !== undefined);
    const reasons = new Map<string, number>();
    for (const g of unknown) {
      const { serviceUsed, identityActive } = usageContext(g.action, facts, from);
      const key =
        `${g.action}\u0000${g.accessLevels.join(',')}\u0000${serviceUsed ? 1 : 0}${identityActive ? 1 : 0}` +
        (byDocument ? `\u0000${g.documents.join(',')}` : '');
      let reason = table.get(key);
      if (reason === undefined) {
        reason = this.reason(view.coverage, g, serviceUsed, identityActive);
        table.set(key, reason);
        this.size += 1;
      }
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    }
    return [...reasons]
      .sort((a, b) => b[1] - a[1] || byText(a[0], b[0]))
      .slice(0, 3)
      .map(([reason, count]) => `${count} ${plural(count, 'action')}: ${reason}`)
      .join('; ');
  }

  private table(coverage: readonly Coverage[]): Map<string, string> {
    let signature = '';
    for (const c of coverage)
      signature += `${c.source}\u0000${c.granularity}\u0000${c.from}\u0000${c.to}\u0000${c.actions}\u0000${JSON.stringify(c.services ?? null)}\u0000${JSON.stringify(c.exceptActions ?? null)}\u0000${c.documentId ?? ''}\u0001`;
    let table = this.tables.get(signature);
    if (!table) {
      if (this.tables.size >= 256 || this.size >= 500_000) {
        this.tables.clear();
        this.size = 0;
      }
      this.tables.set(signature, (table = new Map()));
    }
    return table;
  }

  private reason(coverage: Coverage[], g: GrantedAction, serviceUsed: boolean, identityActive: boolean): string {
    const from = Date.parse(this.window.from);
    const to = Date.parse(this.window.to);
    const spans = coveredSpans(coverage, g.action, g.accessLevels, {
      serviceUsed,
      identityActive,
      documents: g.documents,
    });
    if (spans.length === 0) return blindReason(coverage, g, serviceUsed, identityActive);
    let covered = 0;
    for (const span of spans)
      covered += Math.max(0, Math.min(to, Date.parse(span.to)) - Math.max(from, Date.parse(span.from)));
    return `usage data covers ${Math.floor(covered / DAY_MS)} of ${Math.round((to - from) / DAY_MS)} days`;
  }
}

/** Why no source could vouch for an action, from the first source that might have (coverage.ts decides). */
function blindReason(
  coverage: readonly Coverage[],
  g: GrantedAction,
  serviceUsed: boolean,
  identityActive: boolean,
): string {
  const service = serviceOf(g.action);
  const context = { serviceUsed, identityActive, documents: g.documents };
  for (const c of coverage) {
    switch (vouchRefusal(c, g.action, g.accessLevels, context)) {
      case 'writes-only':
        return `${c.source} records writes only`;
      case 'other-document':
        return `${c.source} speaks only for other roles`;
      case 'excepted':
        return `${c.source} does not see it`;
      case 'service-used':
        return `${c.source} sees services only, and ${service} was used in the window`;
      case 'identity-active':
        return `${c.source} knows only the last activity, which is in the window`;
    }
  }
  return `no usage source sees ${service}`;
}
