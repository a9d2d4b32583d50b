import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type {
  AccessRequest,
  ApprovalOutcome,
  DecisionInput,
  EndInput,
  EntitlementRules,
  ExtendInput,
  RequestState,
} from '../domain/request';

/** Messages of the accessRequest workflow; the bot and CLI import these to talk to it. */

export interface AccessRequestInput {
  request: AccessRequest;
  rules: EntitlementRules;
  outcome: ApprovalOutcome;
}

export const statusQuery = defineQuery<RequestState>('status');

/** An approver's Approve or Deny; the validator enforces authority before anything is written. */
export const decideUpdate = defineUpdate<RequestState, [DecisionInput]>('decide');

/** The requester asks for more time; applied at once or sent for approval, as policy says. */
export const extendUpdate = defineUpdate<RequestState, [ExtendInput]>('extend');

/** "I'm done" (requester), "revoke" (approver, admin) or cancel while pending; returns once ended. */
export const endUpdate = defineUpdate<RequestState, [EndInput]>('end');

/** After-the-fact review of a break-glass grant. */
export const reviewUpdate = defineUpdate<RequestState, [{ reviewer: string; note?: string }]>('review');
