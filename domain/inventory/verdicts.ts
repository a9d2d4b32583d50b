import { usageVerdict } from './coverage';
import type { Coverage, Identity } from './model';
import type { ActionUsage, GrantedAction } from './view';

/**
 * Each granted action gets its usage in the window and the verdict the coverage allows (coverage.ts).
 * A day of use stands for its latest moment: a use that day may come after the window opened.
 */
export function attachUsage(
  granted: GrantedAction[],
  usage: readonly ActionUsage[],
  coverage: Coverage[],
  identity: Pick<Identity, 'lastActivityAt'>,
  window: { from: string; to: string },
): void {
  const byAction = new Map(usage.map((u) => [u.action, u]));
  const byService = new Map<string, string>();
  for (const u of usage) {
    const service = serviceOf(u.action);
    const last = latest(byService.get(service), u.lastUsed);
    if (last !== undefined) byService.set(service, last);
  }
  const lastUse = latest(...usage.map((u) => u.lastUsed));
  const identityLastActivity = latest(endOfDay(lastUse), identity.lastActivityAt);
  for (const action of granted) {
    const used = byAction.get(action.action);
    if (used) action.usage = used;
    const serviceLastUsed = endOfDay(byService.get(serviceOf(action.action)));
    action.verdict = usageVerdict({
      action: action.action,
      accessLevels: action.accessLevels,
      coverage,
      window,
      ...(used?.lastUsed ? { lastUsed: endOfDay(used.lastUsed) } : {}),
      ...(serviceLastUsed ? { serviceLastUsed } : {}),
      ...(identityLastActivity ? { identityLastActivity } : {}),
      documents: action.documents,
    });
  }
}

export function endOfDay(day: string | undefined): string | undefined {
  return day === undefined ? undefined : `${day}T23:59:59.999Z`;
}

function serviceOf(action: string): string {
  const separator = action.includes(':') ? ':' : action.includes('/') ? '/' : '.';
  return action.slice(0, Math.max(0, action.indexOf(separator))).toLowerCase();
}

export function latest(...days: (string | undefined)[]): string | undefined {
  return days.reduce<string | undefined>((a, b) => (b !== undefined && (a === undefined || b > a) ? b : a), undefined);
}
