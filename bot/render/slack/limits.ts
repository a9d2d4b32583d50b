/**
 * Block Kit's published limits. Slack rejects a whole message or view when one field is over, so
 * renderers clip everything a person or a policy controls to these, and tests check every surface.
 */
export const SLACK_LIMITS = {
  messageBlocks: 50,
  modalBlocks: 100,
  homeBlocks: 100,
  sectionText: 3000,
  sectionFields: 10,
  fieldText: 2000,
  buttonText: 75,
  buttonValue: 2000,
  buttonUrl: 3000,
  headerText: 150,
  modalTitle: 24,
  modalButton: 24,
  privateMetadata: 3000,
  contextElements: 10,
  optionText: 75,
  optionValue: 150,
  optionDescription: 75,
  options: 100,
  actionElements: 25,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  inputLabel: 2000,
  inputHint: 2000,
  placeholder: 150,
  textInputLength: 3000,
  id: 255,
  fallbackText: 4000,
} as const;
