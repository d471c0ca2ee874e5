// Errors that cross a boundary (API, CLI, process) are typed values with a code,
// so callers branch on the code and users read the message.

export type ErrorCode =
  | 'Unavailable' // no leader / no quorum right now; retrying later may work
  | 'Timeout'
  | 'NotLeader'
  | 'Conflict'
  | 'NotFound'
  | 'NameExists'
  | 'Invalid'
  | 'TooLarge'
  | 'Stopped'
  | 'Corrupt'
  | 'ClusterMismatch'
  | 'Refused';

export class TsswarmError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'TsswarmError';
  }
}

/** HTTP status for an error code, as the Docker Engine API maps them. */
export function httpStatus(code: ErrorCode): number {
  switch (code) {
    case 'NotFound':
      return 404;
    case 'Conflict':
    case 'NameExists':
      return 409;
    case 'Invalid':
    case 'TooLarge':
      return 400;
    case 'Refused':
      return 403;
    case 'Unavailable':
    case 'NotLeader':
    case 'Timeout':
    case 'Stopped':
      return 503;
    default:
      return 500;
  }
}
