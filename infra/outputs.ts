/**
 * The stack's outputs: where the CLI, `autorestore doctor` and the console find the deployed
 * resources. The CDK stack and the local cloud both answer DescribeStacks with these names.
 * Plain data with no imports, so the console's bundle can use it too.
 */

/** The stack name the app deploys and the CLI and console look for when none is given. */
export const DEFAULT_STACK_NAME = 'S3Autorestore';

/** Every output a stack of this app can have. */
export const STACK_OUTPUT_NAMES = [
  'StateMachineArn',
  'ObjectsTableName',
  'AuditTableName',
  'NoticesTableName',
  'PrincipalsTableName',
  'DeadLetterQueueUrl',
  'WatchedBuckets',
  'TrailArn',
  'ArchivedReadRuleName',
  'RestoreLifecycleRuleName',
  'SesIdentity',
  'SenderAddress',
  'SesConfigurationSet',
  /** The restore policy as the CLI applies it in a dry run (rules, tiers, days, budget; no approver addresses). */
  'RestorePolicy',
  'BatchStateMachineArn',
  'ManifestBucketName',
] as const;
export type StackOutputName = (typeof STACK_OUTPUT_NAMES)[number];

/** Outputs a stack may lack: no trail is known (neither created nor named), or no SES configuration set is configured. */
export const OPTIONAL_STACK_OUTPUTS = ['TrailArn', 'SesConfigurationSet', 'RestorePolicy'] as const satisfies readonly StackOutputName[];
type OptionalStackOutputName = (typeof OPTIONAL_STACK_OUTPUTS)[number];

/** The outputs every deployed stack has. */
export const REQUIRED_STACK_OUTPUTS = STACK_OUTPUT_NAMES.filter((name): name is Exclude<StackOutputName, OptionalStackOutputName> => !(OPTIONAL_STACK_OUTPUTS as readonly string[]).includes(name));

/** A stack's outputs by name, as the stack declares them and DescribeStacks returns them. */
export type StackOutputs = { [K in Exclude<StackOutputName, OptionalStackOutputName>]: string } & { [K in OptionalStackOutputName]?: string };
