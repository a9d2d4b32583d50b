import type { AccessLevel, Coverage, Granularity } from './model';
import { wildcardMatch } from './wildcard';

/**
 * Whether an identity used an action in a window, as far as the data can tell. Unknown is never unused:
 * `unused` needs sources that could have seen this action covering every moment of the window.
 *
 * Which coverage can vouch for an action:
 * - `action-day`, `action`, `window-total`: the source records each action, so no record of this one
 *   in its span means it was not used there.
 * - `service`: the source records only that the service was used (Access Advisor at service level).
 *   It vouches for the action only when the service itself shows no use in the window
 *   (`serviceLastUsed` absent or before it): if the service was used, the use may have been this action.
 * - `last-activity`: the source records the identity's last activity of any kind (role last used,
 *   sign-in). It vouches only when that activity (`identityLastActivity`) is absent or before the window.
 * - A source limited to `writes` vouches only for actions whose access levels include Write,
 *   Permissions management or Tagging; an action with no known level is not a write. `services` and
 *   `exceptActions` narrow a source further.
 * - A source tied to one document (`documentId`) vouches only for actions that document grants
 *   (`documents`: the documents the action comes through). Absent documents: no such source vouches.
 * - Spans of several sources add up; gaps of up to a second between them are closed (day files that
 *   end at 23:59:59.999 and start at 00:00:00).
 * - A `window-total` source (GCP Recommender insights) is refreshed about daily, so its span ends up to a
 *   day before a collection's window does. It is taken to reach WINDOW_TOTAL_LAG_MS (two days) past its
 *   end: its verdict means "unused in the window, as of the source's last refresh". Without this no such
 *   source could ever vouch for a whole window; with it, a first use in the last day or two may not be
 *   seen yet, which cleanup's notice period and owners' answers are there to catch.
 * - Absent lastUsed / serviceLastUsed / identityLastActivity mean the sources recorded none.
 * The caller passes the coverage of this identity and of the whole system (`identityId` `*`).
 */

export type UsageVerdict = 'used' | 'unused' | 'unknown';

export interface UsageEvidence {
  /** Canonical action: `s3:GetObject`, `Microsoft.Compute/virtualMachines/read`, `storage.buckets.get`. */
  action: string;
  accessLevels: AccessLevel[];
  /** The last recorded use of this action by this identity, from any source. */
  lastUsed?: string;
  coverage: Coverage[];
  window: { from: string; to: string };
  /** The last recorded use of any action of this action's service (service-granularity sources). */
  serviceLastUsed?: string;
  /** The identity's last activity of any kind (last-activity sources). */
  identityLastActivity?: string;
  /** The ids of the documents that grant this action to the identity. */
  documents?: string[];
}

/** What is known around one action: use of its service, activity of the identity, the documents granting it. */
export interface ActionContext {
  serviceUsed?: boolean;
  identityActive?: boolean;
  documents?: string[];
}

export interface Span {
  from: string;
  to: string;
}

const GAP_TOLERANCE_MS = 1000;
/** How far past its end a window-total source is taken to reach (see above). */
export const WINDOW_TOTAL_LAG_MS = 2 * 86_400_000;
const WRITE_LEVELS: ReadonlySet<AccessLevel> = new Set<AccessLevel>(['Write', 'Permissions management', 'Tagging']);
const PER_ACTION: ReadonlySet<Granularity> = new Set<Granularity>(['action-day', 'action', 'window-total']);

export function usageVerdict(input: UsageEvidence): UsageVerdict {
  const from = Date.parse(input.window.from);
  const to = Date.parse(input.window.to);
  if (Number.isNaN(from) || Number.isNaN(to) || from > to) return 'unknown';
  // A use after the window's end is still a use: it is never evidence of non-use.
  if (input.lastUsed !== undefined) {
    const lastUsed = Date.parse(input.lastUsed);
    if (Number.isNaN(lastUsed)) return 'unknown';
    if (lastUsed >= from) return 'used';
  }
  const spans = coveredSpans(input.coverage, input.action, input.accessLevels, {
    serviceUsed: usedSince(input.serviceLastUsed, from),
    identityActive: usedSince(input.identityLastActivity, from),
    ...(input.documents ? { documents: input.documents } : {}),
  });
  return spans.some((span) => Date.parse(span.from) <= from && Date.parse(span.to) >= to) ? 'unused' : 'unknown';
}

/**
 * The merged spans over which some source could have seen a use of this action, earliest first.
 * `context` says whether the service / the identity shows any use in the window being judged (if so,
 * service-level and last-activity sources cannot vouch for this action), and which documents grant it.
 */
export function coveredSpans(
  coverage: Coverage[],
  action: string,
  accessLevels: AccessLevel[],
  context: ActionContext = {},
): Span[] {
  const intervals: [number, number][] = [];
  for (const entry of coverage) {
    if (vouchRefusal(entry, action, accessLevels, context) !== undefined) continue;
    const start = Date.parse(entry.from);
    const end = Date.parse(entry.to);
    if (Number.isNaN(start) || Number.isNaN(end) || start > end) continue;
    intervals.push([start, entry.granularity === 'window-total' ? end + WINDOW_TOTAL_LAG_MS : end]);
  }
  intervals.sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const [start, end] of intervals) {
    const last = merged[merged.length - 1];
    if (last && start <= last[1] + GAP_TOLERANCE_MS) last[1] = Math.max(last[1], end);
    else merged.push([start, end]);
  }
  return merged.map(([start, end]) => ({ from: new Date(start).toISOString(), to: new Date(end).toISOString() }));
}

export function isWriteAction(accessLevels: AccessLevel[]): boolean {
  return accessLevels.some((level) => WRITE_LEVELS.has(level));
}

/** Why one coverage entry cannot vouch for an action, the source's own limits first; undefined when it can. */
export type VouchRefusal =
  /** Its `services` name others. */
  | 'other-service'
  /** It records writes only, and the action is not one. */
  | 'writes-only'
  /** It speaks for one document, and that document does not grant the action. */
  | 'other-document'
  /** Its `exceptActions` leave the action out. */
  | 'excepted'
  /** It sees services only, and the action's service was used in the window. */
  | 'service-used'
  /** It knows only the identity's last activity, and that falls in the window. */
  | 'identity-active'
  /** A granularity this reading does not know. */
  | 'granularity';

export function vouchRefusal(
  entry: Coverage,
  action: string,
  accessLevels: AccessLevel[],
  context: ActionContext,
): VouchRefusal | undefined {
  if (entry.services) {
    const service = serviceOf(action);
    if (!entry.services.some((listed) => listed.toLowerCase() === service)) return 'other-service';
  }
  if (entry.actions === 'writes' && !isWriteAction(accessLevels)) return 'writes-only';
  if (entry.documentId !== undefined && !context.documents?.includes(entry.documentId)) return 'other-document';
  if (entry.exceptActions?.some((pattern) => wildcardMatch(pattern, action))) return 'excepted';
  if (PER_ACTION.has(entry.granularity)) return undefined;
  if (entry.granularity === 'service') return context.serviceUsed === true ? 'service-used' : undefined;
  if (entry.granularity === 'last-activity') return context.identityActive === true ? 'identity-active' : undefined;
  return 'granularity';
}

/** An unreadable time counts as activity: it must never turn into evidence of non-use. */
export function usedSince(time: string | undefined, from: number): boolean {
  return time !== undefined && !(Date.parse(time) < from);
}

/**
 * An action's service, lower-case: AWS `s3:GetObject` → `s3`; Azure `Microsoft.Compute/…` →
 * `microsoft.compute`; GCP `storage.buckets.get` → `storage`; the action itself when it names none.
 */
export function serviceOf(action: string): string {
  const separator = action.includes(':') ? ':' : action.includes('/') ? '/' : '.';
  return (action.slice(0, Math.max(0, action.indexOf(separator))) || action).toLowerCase();
}
