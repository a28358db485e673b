/**
 * The error catalogue: every error Paz answers with has a stable code, an HTTP status and a message
 * that says what to fix. Answers carry `{statusCode, code, error, message}`; clients match on `code`.
 */

export const ErrorCodes = {
  VALIDATION: { status: 400, title: 'Bad Request' },
  BAD_JSON: { status: 400, title: 'Bad Request' },
  BAD_HTTP: { status: 400, title: 'Bad Request' },
  REQUEST_TIMEOUT: { status: 408, title: 'Request Timeout' },
  HEADERS_TOO_LARGE: { status: 431, title: 'Request Header Fields Too Large' },
  UNAUTHENTICATED: { status: 401, title: 'Unauthorized' },
  FORBIDDEN: { status: 403, title: 'Forbidden' },
  BODY_TOO_LARGE: { status: 413, title: 'Payload Too Large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported Media Type' },
  NAME_RESERVED: { status: 400, title: 'Bad Request' },
  REPOSITORY_MISMATCH: { status: 400, title: 'Bad Request' },
  VOLUME_REFUSED: { status: 400, title: 'Bad Request' },
  SERVICE_NOT_FOUND: { status: 404, title: 'Not Found' },
  SERVICE_EXISTS: { status: 409, title: 'Conflict' },
  REPOSITORY_NOT_FOUND: { status: 404, title: 'Not Found' },
  REPOSITORY_AMBIGUOUS: { status: 409, title: 'Conflict' },
  NOT_DEPLOYED: { status: 404, title: 'Not Found' },
  VERSION_NOT_FOUND: { status: 404, title: 'Not Found' },
  HOST_NOT_FOUND: { status: 404, title: 'Not Found' },
  REGISTRY_LOGIN_NOT_FOUND: { status: 404, title: 'Not Found' },
  UNIT_NOT_FOUND: { status: 404, title: 'Not Found' },
  UNIT_NOT_PLACED: { status: 409, title: 'Conflict' },
  AGENT_UNREACHABLE: { status: 502, title: 'Bad Gateway' },
  ROUTE_NOT_FOUND: { status: 404, title: 'Not Found' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method Not Allowed' },
  TOKEN_NOT_FOUND: { status: 404, title: 'Not Found' },
  TOKEN_EXISTS: { status: 409, title: 'Conflict' },
  LAST_ADMIN_TOKEN: { status: 409, title: 'Conflict' },
  CONFLICT: { status: 409, title: 'Conflict' },
  SECRET_NOT_KEPT: { status: 400, title: 'Bad Request' },
  NOT_LEADER: { status: 503, title: 'Service Unavailable' },
  STORE_UNAVAILABLE: { status: 503, title: 'Service Unavailable' },
  STORE_FULL: { status: 507, title: 'Insufficient Storage' },
  SECRETS_KEY_MISMATCH: { status: 503, title: 'Service Unavailable' },
  INTERNAL: { status: 500, title: 'Internal Server Error' },
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

/** An error with a catalogue code; `details` is extra machine-readable context (e.g. allowed values). */
export class PazError extends Error {
  readonly statusCode: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'PazError';
    this.statusCode = ErrorCodes[code].status;
  }
}

export interface ErrorBody {
  statusCode: number;
  code: `PAZ_${ErrorCode}`;
  error: string;
  message: string;
  details?: Record<string, unknown>;
}

export function errorBody(err: PazError): ErrorBody {
  const body: ErrorBody = {
    statusCode: err.statusCode,
    code: `PAZ_${err.code}`,
    error: ErrorCodes[err.code].title,
    message: err.message,
  };
  if (err.details) body.details = err.details;
  return body;
}
