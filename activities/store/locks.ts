/**
 * PostgreSQL advisory lock keys, in one place so two features never pick the same number.
 * They are arbitrary bigints; what matters is that every process agrees on them.
 */
export const MIGRATION_LOCK = '4711960001';
export const AUDIT_APPEND_LOCK = '4711960002';
