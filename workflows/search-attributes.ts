import { defineSearchAttributeKey } from '@temporalio/common';

/** Custom search attributes; servers must register them at start (see app/embedded/temporal.ts). */
export const RequesterAttribute = defineSearchAttributeKey('LeastRequester', 'KEYWORD');
export const EntitlementAttribute = defineSearchAttributeKey('LeastEntitlement', 'KEYWORD');
export const StatusAttribute = defineSearchAttributeKey('LeastStatus', 'KEYWORD');

export const SEARCH_ATTRIBUTES = [RequesterAttribute, EntitlementAttribute, StatusAttribute];
