/**
 * What a failed SendEmail means for the notices the email carried. The SES v2 SendEmail errors
 * (API reference, "Errors"): BadRequestException (400; among others an address SES refuses),
 * MessageRejected (400; the content, or in the sandbox a recipient that is not verified),
 * TooManyRequestsException (429; the sending rate), LimitExceededException (400; a quota),
 * AccountSuspendedException, SendingPausedException, MailFromDomainNotVerifiedException and
 * NotFoundException (a configuration set that does not exist). An address on the account's
 * suppression list is not among them: SES accepts the call and reports a bounce later.
 */
import { awsErrorCode } from '../shared/errors.js';

/**
 * - `rejected`: SES will not take this email for this recipient; retrying the same email gives
 *   the same answer, so the notices are retried a few times and then given up.
 * - `setup`: the account or the deployment is wrong (sending paused, the MAIL FROM domain, a
 *   missing configuration set, permissions); every email fails until an operator fixes it, so
 *   the notices wait, however long that takes.
 * - `transient`: throttling, a quota, a 5xx, the network, or anything unknown: retried until it
 *   succeeds.
 */
export type SendFailure = 'rejected' | 'setup' | 'transient';

const REJECTED = new Set(['BadRequestException', 'MessageRejected']);
const SETUP = new Set(['AccountSuspendedException', 'SendingPausedException', 'MailFromDomainNotVerifiedException', 'NotFoundException', 'AccessDeniedException']);

export function classifySendFailure(err: unknown): SendFailure {
  const code = awsErrorCode(err);
  if (code && REJECTED.has(code)) return 'rejected';
  if (code && SETUP.has(code)) return 'setup';
  return 'transient';
}
