import { ALERT_LINE_MAX, type AlertOccurrence } from '../../domain/alert/model';
import { clip } from '../../bot/render/clip';
import type { Notice } from '../../domain/notice';
import type { Notifier } from './notifier';

/**
 * The access workflows' alerts (issue 14, item 3), raised from the notices they already send: a
 * break-glass use, a high-risk grant, a revocation that is retrying, a grant that failed. The notice
 * activity runs within seconds of the step, so the alert does too; its occurrence id is the request
 * and the notice, so a retried notice counts once.
 */
export class AlertingNotifier implements Notifier {
  constructor(private readonly raise: (occurrences: AlertOccurrence[]) => Promise<unknown>) {}

  async notify(notice: Notice): Promise<void> {
    const occurrence = occurrenceOf(notice);
    if (occurrence) await this.raise([occurrence]);
  }
}

export function occurrenceOf(notice: Notice): AlertOccurrence | undefined {
  const { state } = notice;
  const { request, rules } = state;
  const base = {
    at: new Date().toISOString(),
    requestId: request.requestId,
    systemId: rules.systemId,
  };
  const who = `${request.requester} · ${rules.title} (${rules.entitlementId}) on ${rules.systemId}`;
  switch (notice.kind) {
    case 'break-glass':
      return {
        ...base,
        rule: 'break-glass-used',
        subject: rules.entitlementId,
        occurrenceId: `${request.requestId}:break-glass`,
        line: withId(
          `${who} for ${Math.round(request.durationSeconds / 60)} min: ${request.reason}`,
          request.requestId,
        ),
      };
    case 'granted':
      if (rules.risk !== 'high') return undefined;
      return {
        ...base,
        rule: 'high-risk-granted',
        subject: rules.entitlementId,
        occurrenceId: `${request.requestId}:granted:${state.extendedSeconds}`,
        line: withId(`${who} until ${state.expiresAt ?? '?'}, approved by ${approversOf(notice)}`, request.requestId),
      };
    case 'failed':
      // The first failed revocation attempt of a live grant is told as `failed` while the grant is still active.
      if (state.status === 'active')
        return {
          ...base,
          rule: 'revocation-retrying',
          subject: rules.systemId,
          occurrenceId: `${request.requestId}:revoke-retrying`,
          line: withId(`${who}: ${notice.detail ?? 'revocation is retrying'}`, request.requestId),
        };
      if (state.status !== 'failed') return undefined;
      return {
        ...base,
        rule: 'grant-failed',
        subject: rules.systemId,
        occurrenceId: `${request.requestId}:grant-failed`,
        line: withId(`${who}: ${state.failure?.message ?? notice.detail ?? 'the grant failed'}`, request.requestId),
      };
    default:
      return undefined;
  }
}

/**
 * The line with its request id last, the text before it cut so the id survives the line's limit: a
 * long reason or cloud error must not push out what the request is (people look it up by the id).
 */
function withId(text: string, requestId: string): string {
  const id = ` (${requestId})`;
  return `${clip(text.replace(/\s+/g, ' ').trim(), ALERT_LINE_MAX - id.length)}${id}`;
}

function approversOf(notice: Notice): string {
  const approvals = notice.state.decisions.filter((d) => d.verdict === 'approve').map((d) => d.approver);
  if (approvals.length > 0) return approvals.join(', ');
  return notice.state.outcome === 'auto-approved' ? 'policy (auto-approve)' : notice.state.outcome;
}
