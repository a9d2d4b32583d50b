import { AuditAction } from '../../domain/audit';
import { ANOMALY_KINDS, type AnomalyKind } from '../../domain/anomaly/model';
import { AnomalyCode, suppressionProblem } from '../../domain/anomaly/suppress';
import { findingsAccess, maySuppress } from '../../domain/findings/visibility';
import type { StoredAnomaly } from '../../activities/store/anomaly/store';
import { loadPolicy, withPgStore } from './connect';
import { usage, type Invocation } from './usage';

/** Days listed by default, and at most. */
const DEFAULT_DAYS = 7;
const MAX_DAYS = 400;
/** Anomalies listed (most severe first); the rest are counted. */
const LISTED = 100;
const DAY_MS = 86_400_000;

/** `least anomalies [--system S] [--days N] [--json]` and `least anomalies suppress …`. */
export async function runAnomalies(invocation: Invocation): Promise<number> {
  const [verb, ...rest] = invocation.rest;
  if (verb === undefined) return list(invocation);
  if (verb === 'suppress') return suppress({ ...invocation, rest });
  return usage(`unknown anomalies verb "${verb.slice(0, 40)}": use suppress, or none to list`);
}

async function list({ values, json, print }: Invocation): Promise<number> {
  const days = values.days === undefined ? DEFAULT_DAYS : Number(values.days);
  if (!Number.isInteger(days) || days < 1 || days > MAX_DAYS)
    usage(`--days takes a whole number from 1 to ${MAX_DAYS}`);
  const policy = await loadPolicy();
  if (values.system !== undefined && !policy.authorizationSystems.some((s) => s.id === values.system)) {
    print(`refused: there is no authorization system "${values.system.slice(0, 64)}"`);
    return 1;
  }
  const now = Date.now();
  const to = new Date(now).toISOString().slice(0, 10);
  const from = new Date(now - (days - 1) * DAY_MS).toISOString().slice(0, 10);
  return withPgStore(async (store) => {
    const period = await store.anomalies.forPeriod(from, to, values.system, LISTED);
    if (json) {
      print(JSON.stringify({ from, to, ...period }));
      return 0;
    }
    const where = values.system ? ` on ${values.system}` : '';
    if (period.total === 0) {
      print(`No anomalies${where} from ${from} to ${to}${suppressedNote(period.suppressed)}.`);
      return 0;
    }
    print(`${period.total} anomalies${where} from ${from} to ${to}${suppressedNote(period.suppressed)}:`);
    for (const s of period.systems) print(`  ${s.systemId}: ${s.count}${s.high ? ` (${s.high} high)` : ''}`);
    for (const a of period.top) print(line(a));
    if (period.total > period.top.length) print(`…and ${period.total - period.top.length} more`);
    return 0;
  });
}

function suppressedNote(n: number): string {
  return n > 0 ? ` (${n} suppressed, not listed)` : '';
}

/** One anomaly on one line; control characters in cloud text never reach the terminal. */
export function line(a: StoredAnomaly): string {
  return `${a.severity.toUpperCase().padEnd(6)} ${a.day} ${a.systemId} ${printable(a.identityName)} ${a.kind}: ${printable(a.explanation)}`;
}

function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

async function suppress({ values, json, print }: Invocation): Promise<number> {
  if (!values.system) usage('anomalies suppress needs --system ID');
  if (!values.identity) usage('anomalies suppress needs --identity ID: the identity id or name');
  if (!values.reason) usage('anomalies suppress needs --reason TEXT');
  if (!values.until) usage('anomalies suppress needs --until YYYY-MM-DD: when the suppression ends');
  if (!values.as) usage('anomalies suppress needs --as EMAIL: who answers for it');
  const actor = values.as.trim().toLowerCase();
  const input = {
    system: values.system,
    identity: values.identity,
    ...(values.kind !== undefined ? { kind: values.kind as AnomalyKind } : {}),
    ...(values.subject !== undefined ? { subject: values.subject } : {}),
    reason: values.reason.trim(),
    by: actor,
    until: values.until,
  };
  const policy = await loadPolicy();
  return withPgStore(async (store) => {
    const refuse = async (code: string, message: string): Promise<number> => {
      await store.appendAudit({
        actor,
        action: AuditAction.AnomalySuppressRefused,
        detail: {
          code,
          system: input.system.slice(0, 64),
          identity: input.identity.slice(0, 200),
          source: 'cli',
        },
      });
      print(json ? JSON.stringify({ ok: false, code, message }) : `refused: ${message}`);
      return 1;
    };
    const today = new Date().toISOString().slice(0, 10);
    const problem = suppressionProblem(input, today, ANOMALY_KINDS);
    if (problem) return refuse(AnomalyCode.SuppressInvalid, problem);
    if (!policy.authorizationSystems.some((s) => s.id === input.system))
      return refuse(AnomalyCode.SystemUnknown, `There is no authorization system "${input.system.slice(0, 64)}".`);
    if (!maySuppress(findingsAccess(policy, actor), input.system))
      return refuse(
        AnomalyCode.SuppressRefused,
        `You may not suppress anomalies on ${input.system}: only its owners, security viewers and admins may.`,
      );
    const stored = await store.anomalies.suppress(input, 'cli');
    await store.appendAudit({
      actor,
      action: AuditAction.AnomalySuppressed,
      detail: { ...input, suppressionId: stored.suppressionId, source: 'cli' },
      key: `anomaly.suppressed:${stored.suppressionId}`,
    });
    if (json) print(JSON.stringify({ ok: true, ...stored }));
    else
      print(
        `suppressed until ${stored.until}: ${input.kind ?? 'every kind'} of ${input.identity}${input.subject ? ` (${input.subject})` : ''} on ${input.system}`,
      );
    return 0;
  });
}
