/**
 * Where a person can see an execution: its page in the Step Functions console on AWS, or the
 * local console's execution page when the system runs against a local endpoint.
 */

/** `endpoint` is the local cloud's address (AWS_ENDPOINT_URL), absent on AWS. */
export function executionLink(executionArn: string, endpoint: string | undefined): string {
  // An execution ARN is letters, digits, `:`, `-` and `_`: it stays readable in the local console's address.
  if (endpoint) return `${endpoint.replace(/\/+$/, '')}/_console/#/execution/${executionArn}`;
  const region = executionArn.split(':')[3];
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${encodeURIComponent(executionArn)}`;
}
