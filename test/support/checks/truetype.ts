import { readFileSync } from 'node:fs';

/**
 * Just enough of a TrueType file to check what the chart renderer assumes about the font it ships:
 * the family name (the SVG must ask for exactly it) and each character's advance width (the layout
 * measures text with a table of them).
 */
export interface TrueTypeFacts {
  family: string;
  unitsPerEm: number;
  /** The advance of `char`'s glyph in font units; undefined when the font has no glyph for it. */
  advanceOf(char: string): number | undefined;
}

export function readTrueType(file: string): TrueTypeFacts {
  const font = readFileSync(file);
  const tables = new Map<string, number>();
  const numTables = font.readUInt16BE(4);
  for (let i = 0; i < numTables; i += 1) {
    const entry = 12 + i * 16;
    tables.set(font.toString('latin1', entry, entry + 4), font.readUInt32BE(entry + 8));
  }
  const at = (tag: string): number => {
    const offset = tables.get(tag);
    if (offset === undefined) throw new Error(`${file} has no ${tag} table`);
    return offset;
  };
  const unitsPerEm = font.readUInt16BE(at('head') + 18);
  const numberOfHMetrics = font.readUInt16BE(at('hhea') + 34);
  const glyphOf = cmapFormat4(font, at('cmap'));
  const advanceOfGlyph = (glyph: number): number =>
    font.readUInt16BE(at('hmtx') + 4 * Math.min(glyph, numberOfHMetrics - 1));
  return {
    family: familyName(font, at('name')),
    unitsPerEm,
    advanceOf: (char) => {
      const glyph = glyphOf(char.codePointAt(0) ?? 0);
      return glyph === 0 ? undefined : advanceOfGlyph(glyph);
    },
  };
}

/** Name id 1 (font family) in the Windows Unicode record. */
function familyName(font: Buffer, name: number): string {
  const count = font.readUInt16BE(name + 2);
  const strings = name + font.readUInt16BE(name + 4);
  for (let i = 0; i < count; i += 1) {
    const record = name + 6 + i * 12;
    const [platform, encoding, , nameId, length, offset] = [0, 2, 4, 6, 8, 10].map((o) =>
      font.readUInt16BE(record + o),
    ) as [number, number, number, number, number, number];
    if (platform === 3 && encoding === 1 && nameId === 1) {
      return font
        .subarray(strings + offset, strings + offset + length)
        .swap16()
        .toString('utf16le');
    }
  }
  throw new Error('no family name in the font');
}

/** The Basic Multilingual Plane mapping (platform 3, encoding 1, format 4). */
function cmapFormat4(font: Buffer, cmap: number): (code: number) => number {
  const count = font.readUInt16BE(cmap + 2);
  for (let i = 0; i < count; i += 1) {
    const record = cmap + 4 + i * 8;
    if (font.readUInt16BE(record) !== 3 || font.readUInt16BE(record + 2) !== 1) continue;
    const sub = cmap + font.readUInt32BE(record + 4);
    if (font.readUInt16BE(sub) !== 4) continue;
    const segments = font.readUInt16BE(sub + 6) / 2;
    const ends = sub + 14;
    const starts = ends + segments * 2 + 2;
    const deltas = starts + segments * 2;
    const rangeOffsets = deltas + segments * 2;
    return (code) => {
      for (let s = 0; s < segments; s += 1) {
        if (code > font.readUInt16BE(ends + s * 2)) continue;
        const start = font.readUInt16BE(starts + s * 2);
        if (code < start) return 0;
        const delta = font.readInt16BE(deltas + s * 2);
        const rangeOffset = font.readUInt16BE(rangeOffsets + s * 2);
        if (rangeOffset === 0) return (code + delta) & 0xffff;
        const glyph = font.readUInt16BE(rangeOffsets + s * 2 + rangeOffset + (code - start) * 2);
        return glyph === 0 ? 0 : (glyph + delta) & 0xffff;
      }
      return 0;
    };
  }
  throw new Error('no format-4 Unicode cmap in the font');
}
