/** Robust statistics for the anomaly detector: a few wild days move neither the median nor its deviation. */

/** 1.4826 × MAD estimates the standard deviation of normal data, so a robust z-score reads like a z-score. */
export const MAD_SCALE = 1.4826;

/** The median of a non-empty list (the mean of the middle two for an even length). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('the median of nothing');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The median absolute deviation from the median. */
export function medianAbsoluteDeviation(values: readonly number[], centre = median(values)): number {
  return median(values.map((v) => Math.abs(v - centre)));
}

/**
 * How many robust deviations `observed` lies above `centre`. The deviation is floored at `floorRatio`
 * of the centre and at 1: a flat series (MAD = 0) would otherwise make every bump infinitely unusual.
 */
export function robustScore(observed: number, centre: number, mad: number, floorRatio: number): number {
  const deviation = Math.max(mad, floorRatio * centre, 1);
  return (observed - centre) / (MAD_SCALE * deviation);
}
