import type { DigestContent } from '../../domain/digest/content';
import type { DigestSection } from '../../domain/digest/sections';

/**
 * The buttons a digest offers into the details: a system's findings, the clicker's approvals
 * waiting, a system's latest cleanup run. One set of ids for both platforms (Slack action ids, Teams
 * verbs). A value carries ids only, never what the button shows: the handler asks again, for the
 * clicker, with the clicker's own visibility, so a forged value can name nothing more than a real one.
 * Values are read back with zod in bot/digest-flow.ts (render/ stays free of it).
 */

export const DigestAction = {
  /** Value: JSON `{"system":"<system id>"}`. */
  Findings: 'least.digest.findings',
  /** Value: JSON `{}`: the clicker's own approvals list. */
  Approvals: 'least.digest.approvals',
  /** Value: JSON `{"system":"<system id>"}`: that system's latest cleanup run. */
  Cleanup: 'least.digest.cleanup',
} as const;
export type DigestAction = (typeof DigestAction)[keyof typeof DigestAction];

/** Said (and audited) when a value is not one of ours. */
export const DIGEST_BUTTON_MALFORMED = 'That digest button does not name anything Least knows.';

/** A value longer than this is no value of ours; nothing is parsed from it. */
export const DIGEST_VALUE_MAX = 200;
/** Buttons per section: a digest names at most DIGEST_ROWS systems, and a row of five still reads. */
export const DIGEST_BUTTONS_PER_SECTION = 5;

/** A policy id (domain/policy/schema.ts `id`): lowercase letters, digits and dashes. */
export const SYSTEM_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

export type DigestTarget = { system: string } | Record<string, never>;

export interface DigestButton {
  action: DigestAction;
  /** Plain text; each platform clips and escapes it for its own buttons. */
  label: string;
  target: DigestTarget;
}

export function isDigestAction(value: string): value is DigestAction {
  return Object.values<string>(DigestAction).includes(value);
}

/**
 * Slack wants action ids unique within a block: the n-th button of a row gets `<action>.<n>`, and the
 * handlers listen for each of the DIGEST_BUTTONS_PER_SECTION ids. Teams verbs are the actions themselves.
 */
export function slackDigestActionId(action: DigestAction, index: number): string {
  return `${action}.${index}`;
}

/** A Slack button value. */
export function encodeDigestValue(target: DigestTarget): string {
  return JSON.stringify(target);
}

/** The system a target names, for handlers of the system buttons. */
export function systemOf(target: DigestTarget): string | undefined {
  return 'system' in target && typeof target.system === 'string' ? target.system : undefined;
}

/** The buttons under one section of a digest, in the order its lines name things; none for a quiet one. */
export function digestButtons(content: DigestContent, section: DigestSection): DigestButton[] {
  if (content.quiet) return [];
  switch (section) {
    case 'access':
      return content.access && content.access.waiting.rows.length > 0
        ? [{ action: DigestAction.Approvals, label: 'Approvals waiting for me', target: {} }]
        : [];
    case 'findings':
      return systemButtons(
        DigestAction.Findings,
        'Findings',
        (content.findings?.systems.rows ?? []).map((s) => s.systemId),
      );
    case 'cleanup':
      return systemButtons(
        DigestAction.Cleanup,
        'Cleanup',
        (content.cleanup?.runs.rows ?? []).map((r) => r.systemId),
      );
    default:
      return [];
  }
}

function systemButtons(action: DigestAction, noun: string, systems: readonly string[]): DigestButton[] {
  const distinct = [...new Set(systems)].filter((system) => SYSTEM_ID.test(system));
  return distinct
    .slice(0, DIGEST_BUTTONS_PER_SECTION)
    .map((system) => ({ action, label: `${noun}: ${system}`, target: { system } }));
}
