/** Every function's defaults in one place: runtime, architecture, tracing, logs, bundling. */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { functionSources } from '../function-sources.js';

const repoRoot = functionSources.projectRoot;

export interface AutorestoreFunctionProps {
  /** Folder under functions/ holding handler.ts. */
  name: 'detect-access' | 'restore-completed' | 'restore-steps' | 'notify-aggregator' | 'reconcile-cycles' | 'restore-batch';
  description: string;
  environment: Record<string, string>;
  timeout?: Duration;
  logRetention: RetentionDays;
  removalPolicy: RemovalPolicy;
}

export class AutorestoreFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: AutorestoreFunctionProps) {
    const logGroup = new LogGroup(scope, `${id}Logs`, { retention: props.logRetention, removalPolicy: props.removalPolicy });
    // Own role instead of AWSLambdaBasicExecutionRole: it may write to its log group only.
    const role = new Role(scope, `${id}Role`, { assumedBy: new ServicePrincipal('lambda.amazonaws.com'), description: `Runs the ${props.name} function` });
    logGroup.grantWrite(role);
    super(scope, id, {
      role,
      entry: `${repoRoot}functions/${props.name}/handler.ts`,
      handler: 'handler',
      projectRoot: repoRoot,
      depsLockFilePath: functionSources.depsLockFilePath,
      description: props.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: 512,
      timeout: props.timeout ?? Duration.seconds(30),
      tracing: Tracing.ACTIVE,
      logGroup,
      environment: {
        ...props.environment,
        POWERTOOLS_SERVICE_NAME: `s3-autorestore-${props.name}`,
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        // Local esbuild (a dependency of the package): no Docker. keepNames: Step Functions routes on error class names.
        minify: true,
        keepNames: true,
        sourceMap: true,
        target: 'node22',
        format: OutputFormat.CJS,
        tsconfig: functionSources.tsconfig,
      },
    });
  }
}
