/** Teams renderers: pure functions from domain data to Adaptive Cards (schema 1.5, Universal Actions). */
export { cardBytes, type AdaptiveCard, type TeamsMessage } from './card';
export { ADAPTIVE_CARD_CONTENT_TYPE, cardActivity, cardAttachment, messageActivity } from './activity';
export { approvalCard, approverCard, reviewCard, type ApprovalCardOptions } from './approval-card';
export {
  approvalsMessage,
  errorMessage,
  helpMessage,
  noIdentityMessage,
  refusalMessage,
  requestListMessage,
  usageMessage,
} from './replies';
export { requestFormCard, type RequestFormCardInput } from './request-form';
export { requesterStatusCard, requesterUpdate, submittedMessage } from './requester';
export { userText } from './text';
export {
  cleanupStartedMessage,
  findingsSummaryCard,
  findingsSummaryMessage,
  identityCard,
  identityCardMessage,
  lookRefusedMessage,
  noSuchIdentityMessage,
  requesterFindingsElements,
  rightSizeMessage,
  suppressCard,
  suppressedMessage,
  suppressRefusedMessage,
  withRequesterFindings,
} from './findings';
export {
  cleanupDecidedText,
  cleanupDiffCard,
  cleanupKeepCard,
  cleanupOwnerMessage,
  cleanupReportMessage,
  cleanupRestoredMessage,
  cleanupRestoreResultText,
  cleanupSummaryMessage,
} from './cleanup';
export { cleanupDeniedMessage } from './cleanup-denied';
