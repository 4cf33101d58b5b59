/** The app as `cdk synth` builds it; tests build the same, optionally without bundling. */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { DeploymentConfig } from './config.js';
import { acknowledgeFindings } from './nag-acknowledgements.js';
import { AutorestoreStack } from './stack.js';

export function buildApp(config: DeploymentConfig, app: App = new App()): { app: App; stack: AutorestoreStack } {
  const stack = new AutorestoreStack(app, config.stackName, {
    config,
    env: config.account || config.region ? { account: config.account, region: config.region } : undefined,
    description: 'S3 Autorestore: restores archived S3 objects when they are read and emails the readers',
  });
  acknowledgeFindings(stack);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}
