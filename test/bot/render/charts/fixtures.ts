/** Inputs the chart tests share: calendar days and the names a hostile or careless admin could give. */

/** `count` consecutive days from `from`. */
export function days(count: number, from = '2025-01-01'): string[] {
  const start = Date.parse(`${from}T00:00:00Z`);
  return Array.from({ length: count }, (_, i) => new Date(start + i * 86_400_000).toISOString().slice(0, 10));
}

/** A PCI series over 90 days from `first` to `last` in a straight line. */
export function ramp(first: number, last: number, count = 90, from = '2025-01-01'): { day: string; pci: number }[] {
  return days(count, from).map((day, i) => ({ day, pci: Math.round(first + ((last - first) * i) / (count - 1)) }));
}

export const SCRIPT = '<script>alert(1)</script>';
export const AMPERSAND_QUOTES = `a & b "double" 'single' ]]> <![CDATA[ x`;
/** U+202E RIGHT-TO-LEFT OVERRIDE: would show `evilexe.png` as `evilgnp.exe`. */
export const RTL_OVERRIDE = 'evil\u202egnp.exe';
export const CONTROL_CHARACTERS = 'nul\u0000bell\u0007esc\u001b[31mline\nbreak';
export const HUGE = 'z'.repeat(10_000);

export const HOSTILE_NAMES = [SCRIPT, AMPERSAND_QUOTES, RTL_OVERRIDE, CONTROL_CHARACTERS, HUGE];
