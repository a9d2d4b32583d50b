import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { z } from 'zod';
import { ApplicationFailure } from '@temporalio/common';
import type { AcknowledgeInput, AlertEpisode, AlertState } from '../domain/alert/model';
import { AuditAction } from '../domain/audit';
import { ErrorCode } from '../domain/errors';
import { slackGroupKey, type ExternalGroups } from '../domain/policy/evaluate';
import { acknowledgeAlertUpdate, alertStateQuery } from '../workflows/alert-messages';
import type { AlertAckTarget } from './render/alert';
import { isCompleted, isMissing } from './workflow-errors';

/** An Acknowledge button's value (bot/render/alert.ts `encodeAlertAck`). */
const ackValue = z
  .object({
    a: z.string().min(1).max(200),
    s: z.string().min(1).max(64),
    e: z.number().int().min(1).max(1_000_000),
  })
  .strict();

/** The target of an Acknowledge click, or undefined for a value that is not one of ours. */
export function parseAlertAck(value: string): AlertAckTarget | undefined {
  if (value.length > 400) return undefined;
  try {
    const parsed = ackValue.safeParse(JSON.parse(value));
    if (!parsed.success || !parsed.data.a.startsWith('alert:')) return undefined;
    return { workflowId: parsed.data.a, series: parsed.data.s, episode: parsed.data.e };
  } catch {
    return undefined;
  }
}

export interface AlertClientDeps {
  temporal: Client;
  audit: (entry: { actor: string; action: AuditAction; detail: Record<string, unknown> }) => Promise<void>;
  /** Slack user groups' members, read by the bot itself; absent: group membership does not count. */
  externalGroups?: () => Promise<ExternalGroups>;
  log?: (msg: string, extra: Record<string, unknown>) => void;
}

export type AcknowledgeOutcome = { ok: true; episode: AlertEpisode } | { ok: false; code: string; message: string };

export interface AcknowledgeRequest {
  workflowId: string;
  series: string;
  episode: number;
  /** The clicker's e-mail address, from the verified click. */
  by: string;
  via: AcknowledgeInput['via'];
}

/**
 * Acknowledge on an alert message (issue 14, item 3): the click goes to the alert's workflow as an
 * update, whose validator decides who may; the Slack user groups the clicker is in are read here,
 * never taken from the request. Every refusal is audited.
 */
export class AlertClient {
  constructor(private readonly deps: AlertClientDeps) {}

  async acknowledge(request: AcknowledgeRequest): Promise<AcknowledgeOutcome> {
    const by = request.by.trim().toLowerCase();
    const groups = request.via === 'slack' ? await this.groupsOf(by) : [];
    const input: AcknowledgeInput = {
      by,
      series: request.series,
      episode: request.episode,
      via: request.via,
      ...(groups.length > 0 ? { groups } : {}),
    };
    const handle = this.deps.temporal.workflow.getHandle(request.workflowId);
    try {
      const episode = await handle.executeUpdate(acknowledgeAlertUpdate, { args: [input] });
      return { ok: true, episode };
    } catch (error) {
      const refusal = await this.refusalOf(error, request.workflowId);
      await this.audited(by, {
        alert: request.workflowId.slice(0, 200),
        episode: request.episode,
        via: request.via,
        code: refusal.code,
        message: refusal.message,
      });
      return refusal;
    }
  }

  /** The alert as its workflow holds it, or undefined when it has closed. */
  async state(workflowId: string): Promise<AlertState | undefined> {
    try {
      return await this.deps.temporal.workflow.getHandle(workflowId).query(alertStateQuery);
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  private async refusalOf(error: unknown, workflowId: string): Promise<{ ok: false; code: string; message: string }> {
    if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure)
      return { ok: false, code: error.cause.type ?? ErrorCode.InputMalformed, message: error.cause.message };
    if (isMissing(error) || isCompleted(error)) {
      const state = await this.state(workflowId).catch(() => undefined);
      const acknowledged = state?.episode.acknowledged;
      return {
        ok: false,
        code: ErrorCode.AlertClosed,
        message: acknowledged
          ? `This alert has closed; it was acknowledged by ${acknowledged.by} at ${acknowledged.at}.`
          : 'This alert has closed: there is nothing left to acknowledge.',
      };
    }
    throw error;
  }

  /** The Slack user groups the person is in, as the bot read them; none when it cannot read them (fail closed). */
  private async groupsOf(email: string): Promise<string[]> {
    if (!this.deps.externalGroups) return [];
    try {
      const members = await this.deps.externalGroups();
      return Object.entries(members)
        .filter(([key, emails]) => key.startsWith(slackGroupKey('')) && emails.includes(email))
        .map(([key]) => key.slice(slackGroupKey('').length));
    } catch (error) {
      this.deps.log?.('slack user groups unreadable; acknowledging by name only', { error: String(error) });
      return [];
    }
  }

  private async audited(actor: string, detail: Record<string, unknown>): Promise<void> {
    try {
      await this.deps.audit({ actor, action: AuditAction.AlertAcknowledgeRefused, detail });
    } catch (error) {
      this.deps.log?.('audit write failed', { action: AuditAction.AlertAcknowledgeRefused, error: String(error) });
    }
  }
}
