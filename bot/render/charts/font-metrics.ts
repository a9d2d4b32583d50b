/**
 * How wide DejaVu Sans draws each character, so that ECharts lays out labels and legends for the font
 * the PNG renderer really uses (its built-in guess is Helvetica's, about a tenth narrower, so long
 * legend names would run into the next entry). Advance widths in thousandths of an em, read from DejaVu Sans 2.37
 * (`dejavu-fonts-ttf`); test/activities/chat/chart-png.test.ts checks them against the shipped files.
 */

interface Face {
  /** U+0020 to U+007E. */
  ascii: readonly number[];
  /** U+00A0 to U+00FF. */
  latin1: readonly number[];
}

const REGULAR: Face = {
  ascii: [
    318, 401, 460, 838, 636, 950, 780, 275, 390, 390, 500, 838, 318, 361, 318, 337, 636, 636, 636, 636, 636, 636, 636,
    636, 636, 636, 337, 337, 838, 838, 838, 531, 1000, 684, 686, 698, 770, 632, 575, 775, 752, 295, 295, 656, 557, 863,
    748, 787, 603, 787, 695, 635, 611, 732, 684, 989, 685, 611, 685, 390, 337, 390, 838, 500, 500, 613, 635, 550, 635,
    615, 352, 635, 634, 278, 278, 579, 278, 974, 634, 612, 635, 635, 411, 521, 392, 634, 592, 818, 592, 592, 525, 636,
    337, 636, 838,
  ],
  latin1: [
    318, 401, 636, 636, 636, 636, 337, 500, 500, 1000, 471, 612, 838, 361, 1000, 500, 500, 838, 401, 401, 500, 636, 636,
    318, 500, 401, 471, 612, 969, 969, 969, 531, 684, 684, 684, 684, 684, 684, 974, 698, 632, 632, 632, 632, 295, 295,
    295, 295, 775, 748, 787, 787, 787, 787, 787, 838, 787, 732, 732, 732, 732, 611, 605, 630, 613, 613, 613, 613, 613,
    613, 982, 550, 615, 615, 615, 615, 278, 278, 278, 278, 612, 634, 612, 612, 612, 612, 612, 838, 612, 634, 634, 634,
    634, 592, 635, 592,
  ],
};
const BOLD: Face = {
  ascii: [
    348, 456, 521, 838, 696, 1002, 872, 306, 457, 457, 523, 838, 380, 415, 380, 365, 696, 696, 696, 696, 696, 696, 696,
    696, 696, 696, 400, 400, 838, 838, 838, 580, 1000, 774, 762, 734, 830, 683, 683, 821, 837, 372, 372, 775, 637, 995,
    837, 850, 733, 850, 770, 720, 682, 812, 774, 1103, 771, 724, 725, 457, 365, 457, 838, 500, 500, 675, 716, 593, 716,
    678, 435, 716, 712, 343, 343, 665, 343, 1042, 712, 687, 716, 716, 493, 595, 478, 712, 652, 924, 645, 652, 582, 712,
    365, 712, 838,
  ],
  latin1: [
    348, 456, 696, 696, 636, 696, 365, 500, 500, 1000, 564, 646, 838, 415, 1000, 500, 500, 838, 438, 438, 500, 736, 636,
    380, 500, 438, 564, 646, 1035, 1035, 1035, 580, 774, 774, 774, 774, 774, 774, 1085, 734, 683, 683, 683, 683, 372,
    372, 372, 372, 838, 837, 850, 850, 850, 850, 850, 838, 850, 812, 812, 812, 812, 724, 738, 719, 675, 675, 675, 675,
    675, 675, 1048, 593, 678, 678, 678, 678, 343, 343, 343, 343, 687, 712, 687, 687, 687, 687, 687, 838, 687, 712, 712,
    712, 712, 652, 716, 652,
  ],
};

/** Punctuation the charts write themselves; the same width in both faces. */
const OURS: Readonly<Record<string, number>> = { '…': 1000, '→': 838, '−': 838, '–': 500, '—': 1000 };

/** Anything else is taken as one em: wider than most glyphs, so an unknown script crowds nothing. */
const UNKNOWN = 1000;

/**
 * East Asian wide characters (CJK ideographs, kana, Hangul, fullwidth forms) are one em in Noto Sans
 * JP, the fallback font the PNG renderer is given; halfwidth katakana half of one; combining marks
 * draw on the character before them.
 */
const WIDE = 1000;
const HALFWIDTH_KANA = 500;

function eastAsianAdvance(code: number): number | undefined {
  if (code >= 0x0300 && code <= 0x036f) return 0;
  if (code >= 0xff61 && code <= 0xff9f) return HALFWIDTH_KANA;
  if (
    (code >= 0x1100 && code <= 0x115f) ||
    (code >= 0x2e80 && code <= 0x303e) ||
    (code >= 0x3041 && code <= 0x33ff) ||
    (code >= 0x3400 && code <= 0x4dbf) ||
    (code >= 0x4e00 && code <= 0x9fff) ||
    (code >= 0xa960 && code <= 0xa97f) ||
    (code >= 0xac00 && code <= 0xd7a3) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0xfe30 && code <= 0xfe4f) ||
    (code >= 0xff01 && code <= 0xff60) ||
    (code >= 0xffe0 && code <= 0xffe6) ||
    (code >= 0x20000 && code <= 0x3fffd)
  )
    return WIDE;
  return undefined;
}

export function advanceOf(char: string, bold: boolean): number {
  const face = bold ? BOLD : REGULAR;
  const code = char.codePointAt(0) ?? 0;
  if (code >= 0x20 && code <= 0x7e) return face.ascii[code - 0x20] ?? UNKNOWN;
  if (code >= 0xa0 && code <= 0xff) return face.latin1[code - 0xa0] ?? UNKNOWN;
  return OURS[char] ?? eastAsianAdvance(code) ?? UNKNOWN;
}

/** The width in pixels of `text` set in DejaVu Sans at `fontSize` pixels. */
export function textWidth(text: string, fontSize: number, bold = false): number {
  let thousandths = 0;
  for (const char of text) thousandths += advanceOf(char, bold);
  return (thousandths * fontSize) / 1000;
}
