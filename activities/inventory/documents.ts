import { createHash } from 'node:crypto';
import type { GcpRole } from './catalogue/gcp';

/**
 * Documents are addressed by content, whichever cloud they come from: one policy or role held by a
 * thousand identities is stored and expanded once, and the same content always has the same id.
 */

/** JSON with object keys sorted at every depth: equal documents give equal text, whatever the key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    // a list of plain values (a policy's actions, resources) has one text whatever the order of keys
    if (value.every((item) => item === null || typeof item !== 'object')) return JSON.stringify(value);
    return `[${value.map(canonicalJson).join(',')}]`;
  }
  if (value !== null && typeof value === 'object') {
    // `sort()` orders keys by code unit, as `<` does, with no call per comparison
    let text = '';
    for (const key of Object.keys(value).sort()) {
      const entry = (value as Record<string, unknown>)[key];
      if (entry === undefined) continue;
      text += `${text === '' ? '' : ','}${JSON.stringify(key)}:${canonicalJson(entry)}`;
    }
    return `{${text}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** `sha256:<hex>` of the canonical JSON: a document's id in the store. */
export function contentId(body: unknown): string {
  return `sha256:${createHash('sha256').update(canonicalJson(body)).digest('hex')}`;
}

/**
 * What a GCP role is stored as. The IAM policy step stores it, and the Recommender step names it by the
 * same id, so an insight's coverage speaks for exactly the permissions of its role.
 */
export function gcpRoleBody(roleName: string, role: GcpRole): Record<string, unknown> {
  return {
    name: role.name ?? roleName,
    title: role.title,
    includedPermissions: role.includedPermissions,
    stage: role.stage,
    ...(role.deleted ? { deleted: true } : {}),
  };
}
