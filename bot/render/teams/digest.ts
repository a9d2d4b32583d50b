import type { DigestContent } from '../../../domain/digest/content';
import { digestParts, digestWording, type DigestChart, type DigestWording } from '../digest';
import {
  card,
  cardBytes,
  heading,
  text,
  textOnly,
  withCard,
  type AdaptiveCard,
  type CardElement,
  type TeamsMessage,
} from './card';
import { digestButtons } from '../digest-buttons';
import { digestActionSet } from './digest-buttons';
import { TEAMS_CARD_MAX_BYTES } from './ids';
import { plainText, teamsDialect, unmarked, userLine } from './text';

const wording: DigestWording = digestWording(teamsDialect);

/**
 * A chart for a Teams card: PNG data URIs to try, largest first, then `link` (a signed, expiring URL to
 * the full-size picture served by the bot) when given; none that fits, and it is told in words.
 */
export interface TeamsDigestChart extends DigestChart {
  pictures: readonly string[];
  link?: string;
}

export interface TeamsDigest {
  message: TeamsMessage;
  /** Titles of the charts the card shows as pictures. */
  pictures: string[];
  /** Titles of the charts the card tells in words only, because no picture of them fitted. */
  words: string[];
}

/** Words where a chart's picture would not fit and no link to it could be made (links not configured). */
export const CHARTS_IN_WORDS_NOTE = 'Charts a Teams message has no room for are told in words here.';

/**
 * A digest as one Adaptive Card. Charts go in as PNG data URIs, each the largest picture that keeps
 * the whole card within TEAMS_CARD_MAX_BYTES (Teams refuses a bot message over about 28 KB, data URIs
 * included), in the order given, else by its signed link; a chart with neither is told by its alt text. A quiet
 * period is one line of text, and has no card.
 */
export function digestTeamsMessage(content: DigestContent, charts: readonly TeamsDigestChart[]): TeamsDigest {
  if (content.quiet) return { message: textOnly(wording.quiet(content)), pictures: [], words: [] };
  const body: CardElement[] = [
    heading(wording.title(content)),
    text(wording.period(content.period), { subtle: true, spacing: 'none' }),
  ];
  const part = (title: string, headline: string, ...lists: string[][]): void => {
    body.push(text(`**${title}** · ${headline}`, { separator: true }));
    for (const lines of lists) if (lines.length > 0) body.push(text(lines.join('\n\n'), { spacing: 'small' }));
  };
  for (const { section, title, headline, lists } of digestParts(content, wording)) {
    part(title, headline, ...lists);
    const buttons = digestActionSet(digestButtons(content, section));
    if (buttons) body.push(buttons);
  }
  // Every chart starts in words; then each in turn takes the largest of its pictures that still fits.
  const first = body.length;
  body.push(...charts.map((chart) => text(wording.chartInWords(chart), { separator: true })));
  let drawn: AdaptiveCard = card(body);
  const pictured = new Set<number>();
  charts.forEach((chart, index) => {
    for (const picture of chart.link ? [...chart.pictures, chart.link] : chart.pictures) {
      const elements = [...(drawn.body as CardElement[])];
      elements[first + index] = image(chart, picture);
      const tried: AdaptiveCard = { ...drawn, body: elements };
      if (cardBytes(tried) <= TEAMS_CARD_MAX_BYTES) {
        drawn = tried;
        pictured.add(index);
        break;
      }
    }
  });
  const words = charts.filter((_, index) => !pictured.has(index)).map((chart) => chart.title);
  if (words.length > 0) {
    const withNote: AdaptiveCard = {
      ...drawn,
      body: [...(drawn.body as CardElement[]), text(CHARTS_IN_WORDS_NOTE, { subtle: true, spacing: 'small' })],
    };
    if (cardBytes(withNote) <= TEAMS_CARD_MAX_BYTES) drawn = withNote;
  }
  return {
    message: withCard(unmarked(wording.fallback(content)), drawn),
    pictures: charts.filter((_, index) => pictured.has(index)).map((chart) => chart.title),
    words,
  };
}

function image(chart: DigestChart, url: string): CardElement {
  return {
    type: 'Container',
    separator: true,
    items: [
      text(`📈 **${userLine(chart.title, 80)}**`, { spacing: 'none' }),
      { type: 'Image', url, altText: plainText(chart.alt, 1000), size: 'auto' },
    ],
  };
}
