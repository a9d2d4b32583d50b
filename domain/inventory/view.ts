import type { AccessLevel, CollectionRun, Coverage, GrantPath, Identity } from './model';

/**
 * One identity as a snapshot knows it: what it holds and how, the actions that come out of that (allow
 * minus deny, computed from the documents, never stored per identity), what it used in the run's window,
 * and how far that knowledge reaches. What `least inventory show` and the findings read.
 */
export interface IdentityView {
  run: CollectionRun;
  identity: Identity;
  /** Its own paths, then those of every group it belongs to (directly or through nested groups). */
  paths: ViewPath[];
  /** Sorted by action. */
  granted: GrantedAction[];
  /** Every action used or attempted in the window, granted or not (a denied attempt is not a use). */
  usage: ActionUsage[];
  /** This identity's coverage rows and the system-wide ones (`identityId` `*`). */
  coverage: Coverage[];
}

export interface ViewPath extends GrantPath {
  /** The group this path belongs to when the identity holds it as a member; absent for its own paths. */
  inheritedFrom?: string;
  /** The document's name (policy ARN and version, role), when the path has a document. */
  documentName?: string;
}

export interface GrantedAction {
  action: string;
  /** Union over the documents that allow it. */
  accessLevels: AccessLevel[];
  /** `all` when any allowing document reaches every resource. */
  resourceReach: 'all' | 'some';
  /** Every allowing path or document carries a condition. */
  conditional: boolean;
  /** A deny limited to some resources or by a condition applies too: the action is held only in part. */
  partiallyDenied: boolean;
  /** Indexes into `IdentityView.paths` of the paths it comes through. */
  paths: number[];
  /** The allowing documents' ids. */
  documents: string[];
  usage?: ActionUsage;
  /** Used, unused or unknown in the window given the coverage (domain/inventory/coverage.ts), when computed. */
  verdict?: 'used' | 'unused' | 'unknown';
}

export interface ActionUsage {
  action: string;
  /** Uses in the window. */
  count: number;
  /** Denied attempts in the window. */
  denied: number;
  /** First and last UTC day (`YYYY-MM-DD`) with a use (not a denied attempt). */
  firstUsed?: string;
  lastUsed?: string;
}
