// For assert.throws/rejects: the error is a TsswarmError with this code, and its
// message equals `message` (a string) or matches it (a RegExp).
import assert from 'node:assert/strict';
import { TsswarmError, type ErrorCode } from '../../shared/errors.js';

export function failsWith(code: ErrorCode, message: string | RegExp): (e: unknown) => boolean {
  return (e) => {
    assert.ok(e instanceof TsswarmError, `expected TsswarmError, got ${String(e)}`);
    assert.equal(e.code, code);
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  };
}
