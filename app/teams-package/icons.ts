/** The Teams app icons, drawn in code so the repository holds no binaries: a padlock, white on the accent colour (192×192) or on transparent (32×32). */
import { encodePng } from './png';

/** Is a point of the padlock's 1×1 box (y down) inked? Body, shackle, and the keyhole cut out of the body. */
function padlock(x: number, y: number): boolean {
  const keyhole = Math.hypot(x - 0.5, y - 0.66) <= 0.085 || (Math.abs(x - 0.5) <= 0.035 && y >= 0.66 && y <= 0.85);
  if (keyhole) return false;
  const body = roundedRect(x, y, 0.5, 0.725, 0.38, 0.275, 0.08);
  const ring = y <= 0.4 ? Math.hypot(x - 0.5, y - 0.4) : Math.abs(x - 0.5);
  const shackle = y <= 0.47 && Math.abs(ring - 0.25) <= 0.075;
  return body || shackle;
}

function roundedRect(
  x: number,
  y: number,
  cx: number,
  cy: number,
  halfW: number,
  halfH: number,
  radius: number,
): boolean {
  const qx = Math.abs(x - cx) - (halfW - radius);
  const qy = Math.abs(y - cy) - (halfH - radius);
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) <= radius;
}

/**
 * `color`: 192×192, the padlock in the middle 96×96 (Teams' safe area) on a solid background.
 * `outline`: 32×32, white on transparent, as Teams requires; edges anti-aliased through the alpha channel.
 */
export function pngIcon(kind: 'color' | 'outline', background = '#2F4FA8'): Buffer {
  const size = kind === 'color' ? 192 : 32;
  const box = kind === 'color' ? 96 : 28;
  const [br, bg, bb] = [1, 3, 5].map((at) => parseInt(background.slice(at, at + 2), 16)) as [number, number, number];
  const origin = (size - box) / 2;
  const samples = 4; // 4×4 samples a pixel: smooth edges without a rasteriser
  const rgba = new Uint8Array(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let inked = 0;
      for (let sy = 0; sy < samples; sy++) {
        for (let sx = 0; sx < samples; sx++) {
          const x = (px + (sx + 0.5) / samples - origin) / box;
          const y = (py + (sy + 0.5) / samples - origin) / box;
          if (padlock(x, y)) inked++;
        }
      }
      const coverage = inked / (samples * samples);
      const at = (py * size + px) * 4;
      if (kind === 'color') {
        rgba[at] = Math.round(br + (255 - br) * coverage);
        rgba[at + 1] = Math.round(bg + (255 - bg) * coverage);
        rgba[at + 2] = Math.round(bb + (255 - bb) * coverage);
        rgba[at + 3] = 255;
      } else {
        rgba.fill(255, at, at + 3);
        rgba[at + 3] = Math.round(255 * coverage);
      }
    }
  }
  return encodePng({ width: size, height: size, rgba });
}
