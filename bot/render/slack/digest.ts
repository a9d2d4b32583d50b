import type { KnownBlock } from '@slack/types';
import type { DigestContent } from '../../../domain/digest/content';
import { digestParts, digestWording, type DigestChart, type DigestWording } from '../digest';
import { digestButtons } from '../digest-buttons';
import { context, divider, header, message, section, type SlackMessage } from './blocks';
import { digestActionsBlock } from './digest-buttons';
import { escapeMrkdwn, slackDialect } from './text';

const wording: DigestWording = digestWording(slackDialect);

/**
 * A digest as one Slack message. Its charts travel beside it as uploaded PNG files
 * (files.uploadV2 shares them with these blocks), so the blocks only name them. A quiet period is
 * one line, and has no charts.
 */
export function digestSlackMessage(content: DigestContent, charts: readonly DigestChart[]): SlackMessage {
  const fallback = escapeMrkdwn(wording.fallback(content));
  if (content.quiet) return message(fallback, [section(wording.quiet(content))]);
  const blocks: KnownBlock[] = [header(`Least · ${wording.title(content)}`), context(wording.period(content.period))];
  const part = (title: string, headline: string, ...lists: string[][]): void => {
    blocks.push(divider(), section(`*${title}* · ${headline}`));
    for (const lines of lists) if (lines.length > 0) blocks.push(section(lines.join('\n')));
  };
  for (const { section: name, title, headline, lists } of digestParts(content, wording)) {
    part(title, headline, ...lists);
    const buttons = digestActionsBlock(digestButtons(content, name));
    if (buttons) blocks.push(buttons);
  }
  if (charts.length > 0)
    blocks.push(context(`📈 ${charts.map((chart) => escapeMrkdwn(chart.title)).join(' · ')}: the charts below`));
  return message(fallback, blocks);
}
