import { Logger } from '@aws-lambda-powertools/logger';

/** One logger for every function; the service name comes from POWERTOOLS_SERVICE_NAME. */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 's3-autorestore' });

/** What the core logic needs of a logger; tests pass a silent one. */
export type Log = Pick<Logger, 'info' | 'warn' | 'error'>;
