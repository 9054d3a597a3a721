/** OpenAI-style error bodies: `{"error": {"message", "type", "code"}}`. */
import type { ServerResponse } from 'node:http';

export interface ErrorBody {
  readonly error: { readonly message: string; readonly type: string; readonly code: number };
}

export function errorBody(status: number, type: string, message: string): ErrorBody {
  return { error: { message, type, code: status } };
}

/** A failure the router answers with a given status and OpenAI-style body. */
export class RouterError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    /** Headers of the answer besides the content type (e.g. `retry-after`). */
    readonly headers?: Readonly<Record<string, string>>,
  ) {
    super(message);
  }

  body(): ErrorBody {
    return errorBody(this.status, this.type, this.message);
  }
}

export const badRequest = (message: string) => new RouterError(400, 'invalid_request_error', message);

export const bodyTooLarge = (limit: number) =>
  new RouterError(413, 'invalid_request_error', `Request body is larger than ${limit} bytes.`);

/** Writes an error answer on a raw response (hijacked fastify replies), unless the headers already went out. */
export function sendError(res: ServerResponse, err: RouterError, requestId: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const payload = JSON.stringify(err.body());
  res.writeHead(err.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
    'x-request-id': requestId,
    ...err.headers,
  });
  res.end(payload);
}
