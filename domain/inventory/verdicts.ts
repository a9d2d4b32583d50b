import { serviceOf, usageVerdict, usedSince, type UsageVerdict } from './coverage';
import type { AccessLevel, Coverage, Identity } from './model';
import type { ActionUsage, GrantedAction, IdentityView } from './view';

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
  memo?: VerdictMemo,
): void {
  const { byAction, byService, identityLastActivity } = usageFacts(usage, identity);
  // usageVerdict derives this flag from identityLastActivity, which it is given only when non-empty
  const shared = memo?.table(coverage, window, () =>
    usedSince(identityLastActivity || undefined, Date.parse(window.from)),
  );
  for (const action of granted) {
    const used = byAction.get(action.action);
    if (used) action.usage = used;
    if (shared && used?.lastUsed === undefined) {
      // no use of its own: the verdict is the coverage's alone, the same for every identity with these flags
      const serviceUsed =
        shared.needsService &&
        byService.size > 0 &&
        usedSince(endOfDay(byService.get(memo!.serviceOf(action.action))), shared.from);
      const known = shared.get(serviceUsed, action.action, action.accessLevels);
      if (known !== undefined) {
        action.verdict = known;
        continue;
      }
      const serviceLastUsed = endOfDay(byService.get(serviceOf(action.action)));
      action.verdict = verdictOf(action, undefined, serviceLastUsed, identityLastActivity, coverage, window);
      shared.add(serviceUsed, action.action, action.accessLevels, action.verdict);
      continue;
    }
    const serviceLastUsed = endOfDay(byService.get(serviceOf(action.action)));
    action.verdict = verdictOf(action, used, serviceLastUsed, identityLastActivity, coverage, window);
  }
}

/** What an identity's usage says around each of its actions: its uses by action, the last day of use by service, its last activity. */
export interface UsageFacts {
  byAction: Map<string, ActionUsage>;
  /** Lower-case service (serviceOf) → the last day any of its actions was used. */
  byService: Map<string, string>;
  identityLastActivity: string | undefined;
}

export function usageFacts(usage: readonly ActionUsage[], identity: Pick<Identity, 'lastActivityAt'>): UsageFacts {
  const byAction = new Map<string, ActionUsage>();
  const byService = new Map<string, string>();
  let lastUse: string | undefined;
  for (const u of usage) {
    byAction.set(u.action, u);
    const service = serviceOf(u.action);
    const last = latest(byService.get(service), u.lastUsed);
    if (last !== undefined) byService.set(service, last);
    lastUse = latest(lastUse, u.lastUsed);
  }
  return { byAction, byService, identityLastActivity: latest(endOfDay(lastUse), identity.lastActivityAt) };
}

/** What usageVerdict reads around one action besides coverage: whether its service and the identity show use since `from`. */
export function usageContext(
  action: string,
  facts: UsageFacts,
  from: number,
): { serviceUsed: boolean; identityActive: boolean } {
  return {
    serviceUsed: usedSince(endOfDay(facts.byService.get(serviceOf(action))), from),
    // verdictOf gives usageVerdict the last activity only when non-empty
    identityActive: usedSince(facts.identityLastActivity || undefined, from),
  };
}

/**
 * The verdict of one granted action of an identity, as attachUsage gives it: `used` its own use,
 * `serviceLastUsed` the end of the last day its service was used, `identityLastActivity` as usageFacts.
 */
export function actionVerdict(
  action: Pick<GrantedAction, 'action' | 'accessLevels' | 'documents'>,
  used: ActionUsage | undefined,
  facts: UsageFacts,
  coverage: Coverage[],
  window: { from: string; to: string },
): UsageVerdict {
  const serviceLastUsed = endOfDay(facts.byService.get(serviceOf(action.action)));
  return verdictOf(action, used, serviceLastUsed, facts.identityLastActivity, coverage, window);
}

/**
 * The verdict of an action an identity did not use itself and whose service shows no use in the window,
 * for an identity that is `active` (its last activity falls in the window) or not: what coverage alone says.
 */
export function coverageVerdict(
  action: Pick<GrantedAction, 'action' | 'accessLevels' | 'documents'>,
  coverage: Coverage[],
  window: { from: string; to: string },
  active: boolean,
): UsageVerdict {
  // any time at or past the window's start is activity, as usedSince reads it
  return verdictOf(action, undefined, undefined, active ? window.from : undefined, coverage, window);
}

/** An identity as the stream reads it before its verdicts: what it holds is shared and carries no usage. */
export interface SharedIdentityView extends Omit<IdentityView, 'granted'> {
  /**
   * effectiveGrants of its paths, without usage or verdicts: the same array (never changed) for the
   * identities of one path signature while the stream keeps it, so what depends on it alone is worked out once.
   */
  held: readonly GrantedAction[];
}

/** The IdentityView of a shared one: each held action a fresh object with its usage and verdict. */
export function materializeView(view: SharedIdentityView, memo?: VerdictMemo): IdentityView {
  const granted = view.held.map(copyGrant);
  attachUsage(
    granted,
    view.usage,
    view.coverage,
    view.identity,
    { from: view.run.windowFrom, to: view.run.windowTo },
    memo,
  );
  return {
    run: view.run,
    identity: view.identity,
    paths: view.paths,
    granted,
    usage: view.usage,
    coverage: view.coverage,
  };
}

/** A fresh action as effectiveGrants makes it (same fields, same order); its arrays are shared. */
export function copyGrant(g: GrantedAction): GrantedAction {
  return {
    action: g.action,
    accessLevels: g.accessLevels,
    resourceReach: g.resourceReach,
    conditional: g.conditional,
    partiallyDenied: g.partiallyDenied,
    paths: g.paths,
    documents: g.documents,
  };
}

function verdictOf(
  action: Pick<GrantedAction, 'action' | 'accessLevels' | 'documents'>,
  used: ActionUsage | undefined,
  serviceLastUsed: string | undefined,
  identityLastActivity: string | undefined,
  coverage: Coverage[],
  window: { from: string; to: string },
): UsageVerdict {
  return usageVerdict({
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

/** Verdicts shared by the identities of one coverage signature (and, when it matters, activity). */
interface SharedVerdicts {
  /** The window's start, parsed. */
  from: number;
  /** Whether the action's service was used changes verdicts: some coverage is per service. */
  needsService: boolean;
  get(serviceUsed: boolean, action: string, levels: readonly AccessLevel[]): UsageVerdict | undefined;
  add(serviceUsed: boolean, action: string, levels: readonly AccessLevel[], verdict: UsageVerdict): void;
}

/** One shared verdict: the access levels and service use it was worked out for. */
interface KnownVerdict {
  levels: readonly AccessLevel[];
  serviceUsed: boolean;
  verdict: UsageVerdict;
}

function sameLevels(a: readonly AccessLevel[], b: readonly AccessLevel[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}

/**
 * Verdicts of actions an identity did not use, shared across the identities a stream judges: without a
 * use of its own, an action's verdict depends only on the coverage (its spans, granularities, action and
 * service limits), the window, the action and its access levels, whether the action's service shows use
 * (read by `service` coverage only) and whether the identity does (read by `last-activity` coverage only)
 * — coverage.ts reads nothing else. Identities whose coverage is the same, typically the system-wide rows
 * alone, get each verdict once instead of once per identity. Coverage tied to a document is not shared
 * (its verdict depends on the documents granting the action). Bounded: past `maxSignatures` signatures,
 * or `maxActions` verdicts, it starts over.
 */
export class VerdictMemo {
  private readonly tables = new Map<string, SharedVerdicts>();
  private readonly services = new Map<string, string>();
  private size = 0;

  constructor(
    private readonly maxSignatures = 256,
    private readonly maxActions = 500_000,
  ) {}

  /** The table for this coverage and window; `identityActive` is asked only when the coverage reads it. */
  table(
    coverage: readonly Coverage[],
    window: { from: string; to: string },
    identityActive: () => boolean,
  ): SharedVerdicts | undefined {
    let key = `${window.from}\u0001${window.to}`;
    let needsService = false;
    let needsActivity = false;
    for (const c of coverage) {
      if (c.documentId !== undefined) return undefined;
      if (c.granularity === 'service') needsService = true;
      if (c.granularity === 'last-activity') needsActivity = true;
      key += `\u0001${c.granularity}\u0000${c.from}\u0000${c.to}\u0000${c.actions}\u0000${JSON.stringify(c.services ?? null)}\u0000${JSON.stringify(c.exceptActions ?? null)}`;
    }
    if (needsActivity) key += identityActive() ? '\u0001active' : '\u0001inactive';
    let table = this.tables.get(key);
    if (!table) {
      if (this.tables.size >= this.maxSignatures || this.size >= this.maxActions) {
        this.tables.clear();
        this.services.clear();
        this.size = 0;
      }
      const byAction = new Map<string, KnownVerdict[]>();
      table = {
        from: Date.parse(window.from),
        needsService,
        get: (serviceUsed, action, levels) => {
          const known = byAction.get(action);
          if (known)
            for (const k of known) if (k.serviceUsed === serviceUsed && sameLevels(k.levels, levels)) return k.verdict;
          return undefined;
        },
        add: (serviceUsed, action, levels, verdict) => {
          const entry = { levels: [...levels], serviceUsed, verdict };
          const known = byAction.get(action);
          if (known) known.push(entry);
          else byAction.set(action, [entry]);
          this.size += 1;
        },
      };
      this.tables.set(key, table);
    }
    return table;
  }

  /** serviceOf, kept per action. */
  serviceOf(action: string): string {
    let service = this.services.get(action);
    if (service === undefined) {
      service = serviceOf(action);
      if (this.services.size >= this.maxActions) this.services.clear();
      this.services.set(action, service);
    }
    return service;
  }
}

export function endOfDay(day: string | undefined): string | undefined {
  return day === undefined ? undefined : `${day}T23:59:59.999Z`;
}

function latest(...days: (string | undefined)[]): string | undefined {
  return days.reduce<string | undefined>((a, b) => (b !== undefined && (a === undefined || b > a) ? b : a), undefined);
}
