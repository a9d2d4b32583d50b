/**
 * PostgreSQL advisory lock keys, in one place so two features never pick the same number.
 * They are arbitrary bigints; what matters is that every process agrees on them.
 */
export const MIGRATION_LOCK = '4711960001';
/** 4711960002 was the audit append's lock until appends took turns on the audit head row; do not reuse it. */
