// Errors as the Docker Engine API gives them: a status from the error's code and a
// `{"message": ...}` body typed exactly "application/json", the only type the docker
// client parses a message from. The manager's API and the daemon's socket share this.
import type { FastifyInstance } from 'fastify';
import { TsswarmError, httpStatus } from '../../shared/errors.js';

/** `reword` may replace a typed error's message (the manager explains quorum loss). */
export function dockerErrors(app: FastifyInstance, reword: (e: TsswarmError) => string = (e) => e.message): void {
  app.addHook('onSend', async (_req, reply, payload) => {
    const ct = reply.getHeader('content-type');
    if (typeof ct === 'string' && ct.startsWith('application/json;')) void reply.header('content-type', 'application/json');
    return payload;
  });
  app.setErrorHandler((err, _req, reply) => {
    if (err instanceof TsswarmError) {
      void reply.status(httpStatus(err.code)).send({ message: reword(err) });
      return;
    }
    const e = err as { validation?: unknown; statusCode?: number; message: string };
    if (e.validation) {
      void reply.status(400).send({ message: `invalid request: ${e.message}` });
      return;
    }
    void reply.status(e.statusCode ?? 500).send({ message: e.message });
  });
}
