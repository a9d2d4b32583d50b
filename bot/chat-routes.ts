/**
 * Where Slack and Teams post to the bot. Apart from the front ends so that what only needs the paths (the
 * bot's metrics) does not load Bolt or the Agents SDK with them.
 */
export const SLACK_EVENTS_PATH = '/slack/events';
export const TEAMS_MESSAGES_PATH = '/api/messages';
