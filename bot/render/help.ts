/**
 * What `help` says on either platform: the commands bot/commands.ts reads. `<…>` are placeholders,
 * escaped where they are shown; each platform shows the example its own way.
 */
export const COMMANDS: readonly (readonly [usage: string, what: string, example?: string])[] = [
  ['request', 'open the request form'],
  [
    'request <entitlement> <duration> <reason…> [ticket:OPS-1]',
    'ask in one line',
    'request prod-read-only 1h investigate INC-42',
  ],
  [
    'break-glass <entitlement> <duration> <reason…>',
    'emergency access now, without approval; it is reviewed afterwards',
  ],
  ['list', 'your live grants and pending requests'],
  ['extend <id> <duration>', 'make a live grant last longer'],
  ['done <id>', 'end your grant now'],
  ['revoke <id> [reason]', 'end someone’s grant (approvers and admins)'],
  ['approvals', 'what waits for your decision'],
  ['findings [in <system>]', 'unused and risky permissions, and the Permission Creep Index, of what you may see'],
  [
    'findings <identity…> [in <system>]',
    'one identity’s card: granted vs used, its PCI and findings (your own, or any on systems you own or approve for)',
    'findings payments-operator in aws-prod',
  ],
  [
    'report <identity…> [days] [in <system>]',
    'a forensic report of an identity (yours; anyone’s for security viewers), as a file here',
    'report ada@example.com 30',
  ],
  ['help', 'this list'],
];

/** How durations and request ids are typed. */
export const FORMATS = 'Durations look like 30m, 2h or 1h30m. Request ids look like r-abc123defg.';
