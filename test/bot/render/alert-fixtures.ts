import { alertWorkflowId, type AlertEpisode, type AlertSetup } from '../../../domain/alert/model';

/** One rule alert (break-glass on payments-logs) as the renderer tests show it. */
export const WORKFLOW_ID = alertWorkflowId('break-glass-used', 'payments-logs', 'least');
export const SERIES = '0192f3a4-0000-7000-8000-000000000001';

export const SETUP: AlertSetup = {
  rule: 'break-glass-used',
  subject: 'payments-logs',
  severity: 'critical',
  title: 'Break-glass access used',
  targets: [{ platform: 'slack', channel: 'CALERTS001' }],
  acknowledgers: ['sec@example.com'],
  acknowledgerGroups: [],
  everyone: false,
  throttleSeconds: 900,
  openForSeconds: 7 * 86400,
};

export function episode(extra: Partial<AlertEpisode> = {}): AlertEpisode {
  return {
    number: 1,
    openedAt: '2026-12-02T09:00:00.000Z',
    lastAt: '2026-12-02T09:00:00.000Z',
    count: 1,
    lines: ['oncall@example.com · Read payment logs (payments-logs) on aws-prod for 30 min: INC-9 (r-abcdefghij)'],
    posted: [],
    undelivered: [],
    ...extra,
  };
}
