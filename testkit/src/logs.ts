import { pino, type Logger } from 'pino';

export interface LogRecord {
  level: string;
  msg?: string;
  [field: string]: unknown;
}

/** A real pino logger that keeps every record, for tests that check what was logged. */
export function recordingLogger(): { logger: Logger; records: LogRecord[] } {
  const records: LogRecord[] = [];
  const logger = pino(
    { level: 'trace', formatters: { level: (label) => ({ level: label }) } },
    { write: (line: string) => void records.push(JSON.parse(line) as LogRecord) },
  );
  return { logger, records };
}
