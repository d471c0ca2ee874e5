// TsswarmError across gRPC: the code rides in metadata so it comes back exact,
// the message in the status details so plain gRPC tools still show it.
import * as grpc from '@grpc/grpc-js';
import { TsswarmError, type ErrorCode } from '../errors.js';

export const ERROR_CODE_KEY = 'tsswarm-error-code';

const TO_GRPC: Partial<Record<ErrorCode, grpc.status>> = {
  Unavailable: grpc.status.UNAVAILABLE,
  Timeout: grpc.status.DEADLINE_EXCEEDED,
  NotLeader: grpc.status.FAILED_PRECONDITION,
  Conflict: grpc.status.ABORTED,
  NotFound: grpc.status.NOT_FOUND,
  NameExists: grpc.status.ALREADY_EXISTS,
  Invalid: grpc.status.INVALID_ARGUMENT,
  TooLarge: grpc.status.RESOURCE_EXHAUSTED,
  Refused: grpc.status.PERMISSION_DENIED,
  Stopped: grpc.status.UNAVAILABLE,
};

const CODES = new Set<string>(Object.keys(TO_GRPC).concat(['Corrupt', 'ClusterMismatch']));

export function toServiceError(e: unknown): Partial<grpc.ServiceError> {
  const metadata = new grpc.Metadata();
  if (e instanceof TsswarmError) {
    metadata.set(ERROR_CODE_KEY, e.code);
    return { code: TO_GRPC[e.code] ?? grpc.status.INTERNAL, details: e.message, metadata };
  }
  return { code: grpc.status.INTERNAL, details: e instanceof Error ? e.message : String(e), metadata };
}

/** A failed call as a TsswarmError; `addr` names the far end for transport failures. */
export function fromServiceError(e: grpc.ServiceError, addr: string): TsswarmError {
  const code = e.metadata?.get(ERROR_CODE_KEY)[0];
  if (typeof code === 'string' && CODES.has(code)) return new TsswarmError(code as ErrorCode, e.details);
  switch (e.code) {
    case grpc.status.UNAVAILABLE:
      return new TsswarmError('Unavailable', `cannot reach the manager at ${addr}: ${e.details}`);
    case grpc.status.DEADLINE_EXCEEDED:
      return new TsswarmError('Timeout', `the manager at ${addr} did not answer in time`);
    case grpc.status.PERMISSION_DENIED:
    case grpc.status.UNAUTHENTICATED:
      return new TsswarmError('Refused', `the manager at ${addr} refused this node: ${e.details}`);
    default:
      return new TsswarmError('Unavailable', `call to the manager at ${addr} failed: ${e.details}`);
  }
}
