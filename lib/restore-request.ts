/**
 * What a restore request may ask for, checked before anything starts: a request the workflow
 * would refuse later (or an address that can never be emailed) is refused here, with nothing
 * written and no execution started.
 */
import { RESTORE_TIERS, type RestoreTier } from '../functions/domain/rules/archive.js';
import { EMAIL_ADDRESS } from '../functions/domain/rules/email-address.js';

/**
 * Days a restored copy stays. S3 needs at least 1 (RestoreRequest.Days); the upper bound is the
 * one the workflow and the deployment's RESTORE_DAYS accept.
 */
export const RESTORE_DAYS = { min: 1, max: 30_000 } as const;

/** A restore request the workflow would refuse, or a notification address that is not one. */
export class InvalidRestoreRequestError extends Error {
  override readonly name = 'InvalidRestoreRequestError';

  constructor(
    /** The option at fault, so a command line can name its flag. */
    readonly option: keyof RestoreRequestOptions,
    message: string,
  ) {
    super(message);
  }
}

export interface RestoreRequestOptions {
  days?: number;
  tier?: RestoreTier;
  /** The address to email about the restore. */
  notify?: string;
}

/** Throws InvalidRestoreRequestError naming the first problem; returns quietly when the request is sound. */
export function checkRestoreRequest(options: RestoreRequestOptions): void {
  const { days, tier, notify } = options;
  if (days !== undefined && !(Number.isInteger(days) && days >= RESTORE_DAYS.min && days <= RESTORE_DAYS.max)) {
    throw new InvalidRestoreRequestError('days', `days must be a whole number from ${RESTORE_DAYS.min} to ${RESTORE_DAYS.max}, got ${days}`);
  }
  if (tier !== undefined && !RESTORE_TIERS.includes(tier)) {
    throw new InvalidRestoreRequestError('tier', `the tier must be one of ${RESTORE_TIERS.join(', ')}, got ${JSON.stringify(tier)}`);
  }
  if (notify !== undefined && !EMAIL_ADDRESS.test(notify)) {
    throw new InvalidRestoreRequestError('notify', `not an email address: ${JSON.stringify(notify)}`);
  }
}
