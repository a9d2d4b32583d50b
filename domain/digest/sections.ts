/** What a digest can tell, in the order it tells it; a digest names a subset (all by default). */
export const DIGEST_SECTIONS = ['access', 'findings', 'cleanup', 'anomalies'] as const;
export type DigestSection = (typeof DIGEST_SECTIONS)[number];
