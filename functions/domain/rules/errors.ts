/**
 * Errors that cross the boundary between a Lambda function and the state machine.
 * Step Functions routes on `name`, so every name here is a literal. The workflow
 * (statemachines/restore-object.asl.json) retries TransientServiceError and catches
 * ObjectGoneError by name; the others end the cycle through its catch-all `States.ALL`.
 * test/statemachine/definition.test.ts checks both directions: every name the workflow routes
 * on exists in code, and every error a workflow step throws is routed on by name or listed
 * there as left to the catch-all, with the reason.
 */

/** The object (or the version we were restoring) no longer exists. */
export class ObjectGoneError extends Error {
  override readonly name = 'ObjectGoneError';
}

/** S3 refused the restore for a reason that retrying will not fix (wrong class, bad request, access denied). */
export class RestoreNotPossibleError extends Error {
  override readonly name = 'RestoreNotPossibleError';
}

/** An AWS call failed in a way that is worth retrying (throttling, 5xx) after the SDK's own retries gave up. */
export class TransientServiceError extends Error {
  override readonly name = 'TransientServiceError';
}

/** The input handed to a function does not have the expected shape. Never retried. */
export class InvalidInputError extends Error {
  override readonly name = 'InvalidInputError';
}

/** The function's environment is missing or malformed; raised once at cold start. */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}

/** The restore policy does not allow this restore (a `never` rule, or a tier over its size limit); the reader is told why. */
export class RestoreRefusedByPolicyError extends Error {
  override readonly name = 'RestoreRefusedByPolicyError';
}

/** The restore costs more than its rule allows without approval, or the month's budget is spent: the workflow waits for a person. */
export class ApprovalRequiredError extends Error {
  override readonly name = 'ApprovalRequiredError';
}

/**
 * An approver denied the restore. Not thrown by a step: `autorestore deny` fails the waiting
 * task with this name (SendTaskFailure), and the workflow routes on it.
 */
export class ApprovalDeniedError extends Error {
  override readonly name = 'ApprovalDeniedError';
}

/** Our own errors a workflow step throws on purpose: `withWorkflowErrors` passes them through unchanged. */
export const WORKFLOW_ERROR_NAMES = ['ObjectGoneError', 'RestoreNotPossibleError', 'TransientServiceError', 'InvalidInputError', 'RestoreRefusedByPolicyError', 'ApprovalRequiredError'] as const;

/**
 * Errors raised by the Lambda service integration itself (not by our code); the documented
 * transient ones are retried by the workflow.
 */
export const LAMBDA_TRANSIENT_ERROR_NAMES = [
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  // A function timeout, out of memory, or the concurrency limit: the step may succeed next time
  // (https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html).
  'Lambda.Unknown',
] as const;

/**
 * Errors of the workflow's one direct DynamoDB write (the optimized integration names them
 * `DynamoDB.<Code>`) that a later attempt may not hit.
 */
export const DYNAMODB_TRANSIENT_ERROR_NAMES = [
  'DynamoDB.ProvisionedThroughputExceededException',
  'DynamoDB.ThrottlingException',
  'DynamoDB.InternalServerErrorException',
  'DynamoDB.RequestLimitExceededException',
] as const;

const TRANSIENT_AWS_CODES = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'SlowDown',
  'ServiceUnavailable',
  'InternalError',
  'InternalServerError',
  'RequestTimeout',
  'RequestTimeoutException',
]);

/** True when an AWS SDK error is one that a later attempt may not hit. */
export function isTransientAwsError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const meta = (err as { $metadata?: { httpStatusCode?: number }; $retryable?: unknown }).$metadata;
  const status = meta?.httpStatusCode ?? 0;
  return TRANSIENT_AWS_CODES.has(err.name) || status >= 500 || (err as { $retryable?: unknown }).$retryable !== undefined;
}

/** The error code of an AWS SDK v3 error (`name`, which the SDK sets to the service's error code). */
export function awsErrorCode(err: unknown): string | undefined {
  return err instanceof Error ? err.name : undefined;
}

/**
 * True when S3 answered 405 MethodNotAllowed: the version asked for is a delete marker, so the
 * object is gone. HeadObject's answer has no body, so the SDK names the error 'Unknown' and only
 * the status says so (https://docs.aws.amazon.com/AmazonS3/latest/userguide/DeleteMarker.html).
 */
export function isDeleteMarker(err: unknown): boolean {
  return (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode === 405;
}

const OWN_ERRORS = new Set<string>(WORKFLOW_ERROR_NAMES);

/**
 * Runs a workflow step so that the state machine sees only names it knows: our own errors
 * pass through; a transient AWS error that outlasted the SDK's retries becomes
 * TransientServiceError (retried by the workflow); anything else keeps its name and ends the
 * cycle through the catch-all.
 */
export async function withWorkflowErrors<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    if (err instanceof Error && !OWN_ERRORS.has(err.name) && isTransientAwsError(err)) {
      throw new TransientServiceError(`${err.name}: ${err.message}`);
    }
    throw err;
  }
}
