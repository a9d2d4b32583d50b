/**
 * How the cleanup planner writes the reasons and names it shows people, and orders what it lists: one
 * way across its parts, so a plan reads the same whichever part held or planned something.
 */

/** The date of an ISO time: `2026-08-02`. */
export function day(iso: string): string {
  return iso.slice(0, 10);
}

export function plural(n: number, word: string): string {
  return n === 1 ? word : `${word}s`;
}

/** Text order as `sort()` sorts it, so a plan comes out the same whatever order its views came in. */
export function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** What people call an object by its id: `arn:…:role/team/app` → `app`. */
export function lastSegment(id: string): string {
  return id.slice(id.lastIndexOf('/') + 1) || id;
}
