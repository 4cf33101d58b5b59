/** The CDK app: `npx cdk synth` (offline, no credentials) and `npx cdk deploy`. */
import { App } from 'aws-cdk-lib';
import { buildApp } from './build-app.js';
import { configFromContext } from './config.js';

const app = new App();
buildApp(
  configFromContext((key) => app.node.tryGetContext(key)),
  app,
).app.synth();
