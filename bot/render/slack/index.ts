/** Slack Block Kit renderers: pure functions from domain data to messages, modals and App Home. */
export type { SlackMessage } from './blocks';
export { approvalCard, approvalSummary, reviewCard } from './approval-card';
export { homeView, type HomeInput } from './home';
export { SLACK_LIMITS } from './limits';
export {
  approvalsReply,
  errorReply,
  helpReply,
  noIdentityReply,
  refusalReply,
  requestListReply,
  usageReply,
} from './replies';
export { denyReasonForm, entitlementOptions, requestForm, type RequestFormInput } from './request-form';
export { requesterThreadParent, requesterUpdate, submittedReply } from './requester';
export { timeLeft } from '../status';
export { clip, escapeMrkdwn, mention, slackDate, userText } from './text';
export {
  cleanupStartedReply,
  findingsSummaryBlocks,
  findingsSummaryReply,
  identityCardReply,
  lookRefusedReply,
  noSuchIdentityReply,
  requesterFindingsBlocks,
  rightSizeReply,
  suppressedReply,
  suppressForm,
  suppressRefusedReply,
  withRequesterFindings,
} from './findings';
export {
  cleanupDecidedReply,
  cleanupDiffReply,
  cleanupKeepForm,
  cleanupOwnerMessage,
  cleanupReportMessage,
  cleanupRestoredMessage,
  cleanupRestoreResultReply,
  cleanupRestoringReply,
  cleanupSummaryMessage,
} from './cleanup';
export { cleanupDeniedMessage } from './cleanup-denied';
