import { TsswarmError } from '../../shared/errors.js';
import type { Failure } from '../store/index.js';

/** A store failure as the typed error the API's error handler understands. */
export function storeError(f: Failure): TsswarmError {
  return new TsswarmError(f.error.code, f.error.message);
}
