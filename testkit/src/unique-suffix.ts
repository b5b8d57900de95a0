import { randomBytes } from 'node:crypto';

/** Names a test file's own database or stream, so parallel files never share one. */
export const uniqueSuffix = () => randomBytes(5).toString('hex');
