/** Charts for digests, alerts and reports: plain data in, `{ svg, alt, width, height }` out. */
export { CHART_FONT_FAMILY, CHART_HEIGHT, CHART_WIDTH, NO_DATA, type Chart } from './chart';
export { MAX_DAYS } from './days';
export { grantsPerDayChart, type GrantsPerDayInput } from './grants-per-day';
export { pciTrendChart, MAX_SYSTEMS, type PciTrendInput, type PciTrendSeries } from './pci-trend';
export { topEntitlementsChart, MAX_ENTITLEMENTS, type TopEntitlementsInput } from './top-entitlements';
export { usageTimelineChart, type UsageTimelineInput } from './usage-timeline';
