import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { CleanupDecisionInput, CleanupItemBrief, CleanupRunState } from '../domain/cleanup/run';

/** Messages of the cleanup workflow; the bot and the CLI import these to talk to it. */

export interface CleanupInput {
  systemId: string;
  /** The run's id; by default one derived from the workflow, the same across continue-as-new. */
  runId?: string;
  trigger?: 'schedule' | 'manual';
  /** Who started it on demand (a finding card, the CLI). */
  requestedBy?: string;
  /** Plan this one identity only. */
  identityId?: string;
  /** Carried across continue-as-new while applying. */
  resume?: CleanupRunState;
}

export interface CleanupRestoreInput {
  runId: string;
  /** Absent: every item the run removed. */
  itemIds?: string[];
  /** Only items reducing this identity's access. */
  identityId?: string;
  by: string;
  reason?: string;
}

export interface CleanupRestoreResult {
  runId: string;
  items: { itemId: string; status: 'restored' | 'already' | 'conflict' | 'gone' | 'not-removed'; detail: string }[];
}

/**
 * The workflow a cleanup run's clicks go to. A run's id is its workflow's id (a Schedule's run is
 * `least-cleanup-<system>-<scheduled time>`, an on-demand one `cleanup-<system>-<time>`), the same across
 * continue-as-new.
 */
export function cleanupWorkflowId(runId: string): string {
  return runId;
}

/** The id an on-demand run is started with. */
export function manualCleanupRunId(systemId: string, at: Date): string {
  return `cleanup-${systemId}-${at.toISOString().replace(/[:.]/g, '-')}`;
}

export const cleanupStatusQuery = defineQuery<CleanupRunState>('cleanupStatus');

/** An owner's Keep / Remove now / Snooze; the validator checks authority and the answer before anything is written. */
export const cleanupDecideUpdate = defineUpdate<CleanupItemBrief, [CleanupDecisionInput]>('cleanupDecide');
