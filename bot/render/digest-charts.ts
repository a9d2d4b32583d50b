import type { DigestContent } from '../../domain/digest/content';
import { grantsPerDayChart, pciTrendChart, topEntitlementsChart, type Chart } from './charts';

/** A chart of a digest: which one, its title as the message names it, and the drawing. */
export interface DigestChartDrawing {
  name: 'pci-trend' | 'grants-per-day' | 'top-entitlements';
  title: string;
  chart: Chart;
}

/**
 * The digest's charts, in the order the issue names them (PCI trend per system over 90 days, grants
 * per day, top entitlements), each only where its section is in the digest and has something to
 * draw: a quiet digest has none, and an empty chart is not worth a picture.
 */
export function digestCharts(content: DigestContent): DigestChartDrawing[] {
  if (content.quiet) return [];
  const drawings: DigestChartDrawing[] = [];
  const trend = content.findings?.trend;
  if (trend && trend.systems.some((system) => system.points.length > 0))
    drawings.push({ name: 'pci-trend', title: 'PCI per system, last 90 days', chart: pciTrendChart(trend) });
  const access = content.access;
  if (access && access.grantsPerDay.days.length > 0)
    drawings.push({
      name: 'grants-per-day',
      title: 'Grants per day, last 30 days',
      chart: grantsPerDayChart(access.grantsPerDay),
    });
  if (access && access.topEntitlements.length > 0)
    drawings.push({
      name: 'top-entitlements',
      title: 'Top entitlements by grants',
      chart: topEntitlementsChart({
        from: content.period.firstDay,
        to: content.period.lastDay,
        entitlements: access.topEntitlements,
      }),
    });
  return drawings;
}
