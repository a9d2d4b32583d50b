/**
 * The one-way dependency direction of DESIGN.md: app → bot, activities, workflows → domain.
 * `npm run lint` runs: depcruise --config .dependency-cruiser.cjs domain workflows activities bot app
 *
 * Type-only imports (`import type`, or imports whose every name is `type`) are erased by tsc and never
 * reach the workflow bundle, so the rules below let workflows and activities see each other's *types*.
 */

const NODE_MODULES = '(^|/)node_modules/';
const TEMPORAL_WORKFLOW_SIDE = 'node_modules/@temporalio/(workflow|common)/';
const ZOD = 'node_modules/zod/';
/** Card and block types the renderers build against. */
const PLATFORM_TYPES = 'node_modules/(@slack/types|adaptivecards)/';
/** Charts are drawn by ECharts' server-side SVG renderer: pure JavaScript, no DOM, no I/O (docs/decisions.md). */
const ECHARTS = 'node_modules/echarts/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'A runtime import cycle makes the layers meaningless and load order fragile. Move the shared part down a layer.',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'no-circular-types',
      severity: 'warn',
      comment:
        'A cycle that only exists through `import type`: harmless at run time, but usually a type in the wrong layer.',
      from: {},
      to: { circular: true, via: { dependencyTypes: ['type-only'] } },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'This import does not resolve to a file or an installed package.',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'sandbox-no-node-builtins',
      severity: 'error',
      comment:
        'domain/ is pure and workflows/ run in the Temporal sandbox: no Node built-ins (fs, crypto, net, …). ' +
        'Put the side effect in an activity.',
      from: { path: '^(domain|workflows)/' },
      to: { dependencyTypes: ['core'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'domain-is-pure',
      severity: 'error',
      comment: 'domain/ may import only domain/ and zod.',
      from: { path: '^domain/' },
      to: { pathNot: ['^domain/', ZOD] },
    },
    {
      name: 'workflows-stay-in-the-sandbox',
      severity: 'error',
      comment:
        'workflows/ may import domain/, workflows/, @temporalio/workflow and @temporalio/common; ' +
        'activities only with `import type` (call them through proxyActivities).',
      from: { path: '^workflows/' },
      to: {
        pathNot: ['^domain/', '^workflows/', ZOD, TEMPORAL_WORKFLOW_SIDE],
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'workflows-not-to-upper-layers',
      severity: 'error',
      comment: 'Even type-only, workflows/ may look only at domain/, workflows/ and activities/.',
      from: { path: '^workflows/' },
      to: { path: '^(bot|app|test|bench)/' },
    },
    {
      name: 'activities-not-to-workflows',
      severity: 'error',
      comment: 'activities/ must not load workflow code (only `import type` of message or result types).',
      from: { path: '^activities/' },
      to: { path: '^workflows/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'activities-only-render-from-bot',
      severity: 'error',
      comment: 'activities/ may use the pure renderers in bot/render/, nothing else of bot/.',
      from: { path: '^activities/' },
      to: { path: '^bot/', pathNot: '^bot/render/' },
    },
    {
      name: 'render-is-pure',
      severity: 'error',
      comment:
        'bot/render/ turns domain data into text, Block Kit and Adaptive Cards, and activities/ use it: ' +
        'it may import only domain/, bot/render/, platform types (@slack/types, adaptivecards) and echarts ' +
        '(chart SVG), no SDK, no Node built-in, nothing else of bot/.',
      from: { path: '^bot/render/' },
      to: { pathNot: ['^bot/render/', '^domain/', PLATFORM_TYPES, ECHARTS] },
    },
    {
      name: 'render-platform-types-only',
      severity: 'error',
      comment: 'bot/render/ may see the platform packages only through `import type`: they are types, not code.',
      from: { path: '^bot/render/' },
      to: { path: PLATFORM_TYPES, dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'bot-not-to-activities',
      severity: 'error',
      comment: 'bot/ talks to Temporal through the client and workflow message definitions, never to activities/.',
      from: { path: '^bot/' },
      to: { path: '^activities/' },
    },
    {
      name: 'only-app-wires',
      severity: 'error',
      comment: 'app/ is the top: nothing below it imports app/.',
      from: { path: '^(domain|workflows|activities|bot)/' },
      to: { path: '^app/' },
    },
    {
      name: 'not-to-test-or-bench',
      severity: 'error',
      comment: 'Production code never imports test/ or bench/.',
      from: { path: '^(domain|workflows|activities|bot|app)/' },
      to: { path: '^(test|bench)/' },
    },
  ],
  options: {
    doNotFollow: { path: NODE_MODULES },
    // Anchored at the root: a package's own dist/ and .d.ts entry points are dependencies too.
    exclude: { path: ['^(dist|\\.tools|\\.least|coverage)/', '^(?!node_modules/).*\\.d\\.ts$'] },
    // Record type-only imports too, marked 'type-only', so the rules above can tell them apart.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    skipAnalysisNotInRules: true,
  },
};
