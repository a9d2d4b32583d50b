/** The package itself: manifest and icons zipped, the same bytes for the same inputs. */
import path from 'node:path';
import { buildManifest, type TeamsManifest, type TeamsPackageOptions } from './manifest';
import { pngIcon } from './icons';
import { zip } from './zip';

export const DEFAULT_OUT = path.join('dist', 'least-teams.zip');

export function buildPackage(options: TeamsPackageOptions): Buffer {
  return packageOf(buildManifest(options));
}

export function packageOf(manifest: TeamsManifest): Buffer {
  return zip([
    { name: 'manifest.json', data: Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`) },
    { name: manifest.icons.color, data: pngIcon('color', manifest.accentColor) },
    { name: manifest.icons.outline, data: pngIcon('outline') },
  ]);
}
