import { PNG } from 'pngjs';

/** A PNG as pixels, and how much of it is drawn: what a person would see, checked without eyes. */
export function decodePng(bytes: Buffer): PNG {
  return PNG.sync.read(bytes);
}

/** Pixels that are not the white ground. */
export function inkedPixels(image: PNG): number {
  let count = 0;
  for (let i = 0; i < image.data.length; i += 4)
    if (image.data[i]! < 235 || image.data[i + 1]! < 235 || image.data[i + 2]! < 235) count += 1;
  return count;
}

/** The PNG of a `data:image/png;base64,…` URI. */
export function pngOfDataUri(uri: string): PNG {
  const match = /^data:image\/png;base64,([A-Za-z0-9+/=]+)$/.exec(uri);
  if (!match) throw new Error(`not a PNG data URI: ${uri.slice(0, 40)}`);
  return decodePng(Buffer.from(match[1]!, 'base64'));
}
