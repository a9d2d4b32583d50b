import { createHash, randomBytes } from 'node:crypto';

const ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789'; // no 0/o, 1/l: people type these ids

/**
 * Short request ids people can type (`r-7k2m9x4q`). With a seed (a chat submission id), the same
 * seed gives the same id, which is what turns a double submit into the same workflow.
 */
export function newRequestId(seed?: string): string {
  const bytes = seed ? createHash('sha256').update(seed).digest() : randomBytes(10);
  let id = '';
  for (let i = 0; i < 10; i++) id += ALPHABET[bytes[i]! % ALPHABET.length];
  return `r-${id}`;
}
