import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDuration } from '../../domain/duration';
test('parses 2h', () => assert.equal(parseDuration('2h'), 7200));
