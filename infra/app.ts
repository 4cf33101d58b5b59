/** The CDK app: `npx cdk synth` (offline) and `npx cdk deploy`. */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { configFromContext } from './config.js';
import { acknowledgeFindings } from './nag-acknowledgements.js';
import { AutorestoreStack } from './stack.js';

const app = new App();
const config = configFromContext((key) => app.node.tryGetContext(key));
const stack = new AutorestoreStack(app, config.stackName, {
  config,
  env: config.account || config.region ? { account: config.account, region: config.region } : undefined,
  description: 'S3 Autorestore: restores archived S3 objects when they are read and emails the readers',
});
acknowledgeFindings(stack);
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
