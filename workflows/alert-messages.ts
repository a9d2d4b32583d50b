import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import {
  ALERT_OCCURRED_SIGNAL,
  type AcknowledgeInput,
  type AlertEpisode,
  type AlertOccurrence,
  type AlertState,
} from '../domain/alert/model';

/**
 * The `alert` workflow's messages. An occurrence arrives by signal-with-start (activities/alert), so
 * every worker that raises the same alert reaches the one workflow with its id; the front ends
 * acknowledge through the update, whose validator checks who may.
 */
export const alertOccurredSignal = defineSignal<[AlertOccurrence]>(ALERT_OCCURRED_SIGNAL);
export const acknowledgeAlertUpdate = defineUpdate<AlertEpisode, [AcknowledgeInput]>('acknowledgeAlert');
export const alertStateQuery = defineQuery<AlertState>('alertState');
