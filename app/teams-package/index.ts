/**
 * `npm run teams:package` (cli.ts): builds the Microsoft Teams app package (manifest.json, color.png,
 * outline.png at the root of a zip) that an admin uploads to Teams. Icons are drawn and the zip is
 * written here, so the repository holds no binaries and the build needs no extra dependencies.
 */
export * from './manifest';
export { buildPackage, DEFAULT_OUT, packageOf } from './package';
export { pngIcon } from './icons';
export { zip, type ZipEntry } from './zip';
export { runTeamsPackage } from './cli';
