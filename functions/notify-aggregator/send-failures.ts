/**
 * What a failed SendEmail means for the notices the email carried. The SES v2 SendEmail errors
 * (API reference, "Errors"): BadRequestException (400; among others an address SES refuses),
 * MessageRejected (400; the content, or in the sandbox a recipient that is not verified),
 * TooManyRequestsException (429; the sending rate), LimitExceededException (400; a quota),
 * AccountSuspendedException, SendingPausedException, MailFromDomainNotVerifiedException and
 * NotFoundException (a configuration set that does not exist). An address on the account's
 * suppression list is not among them: SES accepts the call and reports a bounce later.
 */
import { awsErrorCode } from '../domain/rules/errors.js';

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

/**
 * `sender`: the From address. SES answers MessageRejected "Email address is not verified. The
 * following identities failed the check in region ...: <addresses>" for an unverified sender as
 * for an unverified sandbox recipient (https://repost.aws/knowledge-center/ses-554-400-message-rejected-error):
 * when the sender is among the addresses named, it is the deployment that is wrong, not the reader's address.
 */
export function classifySendFailure(err: unknown, sender?: string): SendFailure {
  const code = awsErrorCode(err);
  if (code && REJECTED.has(code)) return sender && namesAddress(err, sender) ? 'setup' : 'rejected';
  if (code && SETUP.has(code)) return 'setup';
  return 'transient';
}

function namesAddress(err: unknown, address: string): boolean {
  const message = err instanceof Error ? err.message.toLowerCase() : '';
  return message.includes(address.toLowerCase());
}
