import type { App } from '@slack/bolt';
import { homeView } from '../render/slack';
import type { SlackContext } from './context';
import { homeFindingsBlocks } from './findings';

/**
 * App Home: my live grants (with End now), my pending requests, what waits for my decision, and the
 * findings of the systems I may see whole.
 */
export function registerHome(app: App, ctx: SlackContext): void {
  app.event('app_home_opened', async ({ event }) => {
    if (event.tab !== 'home') return;
    try {
      await publishHome(ctx, event.user);
    } catch (error) {
      ctx.log('error', 'App Home failed', { error: String(error) });
    }
  });
}

export async function publishHome(ctx: SlackContext, userId: string): Promise<void> {
  const identity = await ctx.directory.emailOf(userId);
  if (!identity.ok) {
    await ctx.client.views.publish({
      user_id: userId,
      view: homeView({ live: [], pending: [], approvals: [], now: ctx.now() }),
    });
    return;
  }
  const [mine, waiting] = await Promise.all([
    ctx.access.mine(identity.email),
    ctx.access.awaitingDecision(identity.email),
  ]);
  const views = (states: typeof mine) => Promise.all(states.map((state) => ctx.view(state)));
  const [live, pending, approvals] = await Promise.all([
    views(mine.filter((s) => s.status === 'active' || s.status === 'approved')),
    views(mine.filter((s) => s.status === 'pending')),
    views(waiting),
  ]);
  const view = homeView({ live, pending, approvals, now: ctx.now() });
  // Findings are extra: when they cannot be read, Home still shows the person's requests.
  const findings = await homeFindingsBlocks(ctx, identity.email, view.blocks.length).catch((error: unknown) => {
    ctx.log('warn', 'App Home findings failed', { error: String(error) });
    return [];
  });
  await ctx.client.views.publish({ user_id: userId, view: { ...view, blocks: [...view.blocks, ...findings] } });
}
