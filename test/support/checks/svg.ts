import assert from 'node:assert/strict';

/** What a chart SVG says, read the way a viewer would: each `<text>` element's content, unescaped. */
export function svgTexts(svg: string): string[] {
  return [...svg.matchAll(/<text\b[^>]*>([^<]*)<\/text>/g)].map(([, content]) => unescapeXml(content ?? ''));
}

function unescapeXml(text: string): string {
  return text.replace(/&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-f]+);/gi, (_, entity: string) => {
    const named: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
    if (named[entity] !== undefined) return named[entity];
    const hex = entity.startsWith('#x') || entity.startsWith('#X');
    return String.fromCodePoint(parseInt(entity.slice(hex ? 2 : 1), hex ? 16 : 10));
  });
}

/**
 * The SVG holds no markup but the renderer's own: no script or foreign element, no `&` that is not an
 * entity, no CDATA section, no character XML forbids and no bidirectional control.
 */
export function assertInertSvg(svg: string): void {
  const elements = new Set([...svg.matchAll(/<([a-zA-Z][\w:-]*)/g)].map(([, name]) => name));
  const allowed = ['svg', 'rect', 'path', 'text', 'g', 'defs', 'clipPath', 'polygon', 'polyline', 'circle', 'line'];
  assert.deepEqual(
    [...elements].filter((name) => !allowed.includes(name!)),
    [],
    'only drawing elements',
  );
  assert.doesNotMatch(svg, /<script|<foreignObject|javascript:|\son\w+=/i);
  assert.doesNotMatch(svg, /&(?!(lt|gt|amp|quot|apos|#\d+|#x[0-9a-f]+);)/i, 'every & is an entity');
  assert.ok(!svg.includes('<![CDATA[') && !svg.includes(']]>'), 'no CDATA');
  // eslint-disable-next-line no-control-regex -- looking for the characters a name must not smuggle in
  assert.doesNotMatch(svg, /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u202a-\u202e\u2066-\u2069]/);
}

/** The width and height of each bar of series `index`, in data order (ECharts draws bars as rectangular paths). */
export function barSizes(svg: string, index = 0): { width: number; height: number }[] {
  const bars = [
    ...svg.matchAll(/<path d="M[\d.-]+ [\d.-]+l([\d.-]+) 0l0 ([\d.-]+)l[^"]*"[^>]*ecmeta_series_index="(\d+)"/g),
  ];
  return bars
    .filter(([, , , series]) => Number(series) === index)
    .map(([, width, height]) => ({ width: Math.abs(Number(width)), height: Math.abs(Number(height)) }));
}
