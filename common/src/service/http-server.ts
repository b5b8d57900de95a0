import { createServer, STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Express } from 'express';

/** What node's parser reports, and the answer a client gets for it. */
const parserErrors: Record<string, [status: number, message: string]> = {
  HPE_HEADER_OVERFLOW: [431, 'Request headers are too large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request timed out'],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, 'Chunk extensions are too large'],
};

const errorBody = (message: string) => JSON.stringify({ errors: [{ message }] });

/**
 * The HTTP server of every service. Requests node cannot parse (a malformed request line,
 * header or framing, oversized headers) never reach express; node would answer them with a
 * bare `400 Bad Request` and no body. Here they get the standard error shape too, as does an
 * `Expect` header the server cannot meet (node's own answer is an empty 417).
 */
export function createHttpServer(app: Express): Server {
  const server = createServer(app);
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    // Only when nothing of a response has gone out yet on this connection; else just drop it.
    const answering = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    // Bytes after a complete request that said `Connection: close`: that request is already in
    // the handler's hands. Answering 400 now would tell the client it was refused while it goes
    // on to change things; ignore the extra bytes and let its own answer close the connection.
    if (err.code === 'HPE_CLOSED_CONNECTION' && answering) return;
    if (err.code === 'ECONNRESET' || !socket.writable || answering?.headersSent) {
      socket.destroy();
      return;
    }
    const [status, message] = parserErrors[err.code ?? ''] ?? [400, 'Malformed HTTP request'];
    const body = errorBody(message);
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
  });
  server.on('checkExpectation', (_req, res) => {
    const body = errorBody('Unsupported Expect header');
    res.writeHead(417, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  });
  return server;
}
