/** The CLI's check of restore options (the number parsers both command lines use are in lib/option-parsers.ts). */
import { checkRestoreRequest, InvalidRestoreRequestError, type RestoreRequestOptions } from '../lib/restore-request.js';
import { UsageError } from './s3-url.js';

/**
 * Refuses, as a usage error (exit 2, before any request), restore options the workflow would
 * refuse later: --days outside S3's range, a --notify that is not an email address.
 */
export function refuseBadRestoreOptions(options: RestoreRequestOptions): void {
  try {
    checkRestoreRequest(options);
  } catch (err) {
    if (err instanceof InvalidRestoreRequestError) throw new UsageError(`--${err.option}: ${err.message}`);
    throw err;
  }
}
