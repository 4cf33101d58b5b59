/** Option parsers shared by the command lines (autorestore, the local cloud). */
import { InvalidArgumentError } from 'commander';
import { checkRestoreRequest, InvalidRestoreRequestError, type RestoreRequestOptions } from '../lib/restore-request.js';
import { UsageError } from './s3-url.js';

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive whole number');
  return n;
}

export function wholeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number');
  return n;
}

export function positiveNumber(value: string): number {
  const n = Number(value);
  if (!(n > 0)) throw new InvalidArgumentError('expected a positive number');
  return n;
}

export function share(value: string): number {
  const n = Number(value);
  if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError('expected a share between 0 and 1');
  return n;
}

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
