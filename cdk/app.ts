import { pathToFileURL } from 'node:url';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigError } from '../functions/core/errors.ts';
import { AuditorStack } from './auditor-stack.ts';
import { stackConfigFromContext, type StackConfig } from './config.ts';

/** Builds the app from its context; `nag: false` leaves cdk-nag out (the tests add it themselves). */
export function buildApp(app: App = new App(), options: { nag?: boolean } = {}): { app: App; stack: AuditorStack; config: StackConfig } {
  const config = stackConfigFromContext((key) => app.node.tryGetContext(key));
  const stack = new AuditorStack(app, config.stackName, {
    config,
    // Account and region from the CLI's credentials at deploy time; synth needs neither.
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
  // cdk-nag 3 is a policy validation plugin (Aspects.of(app).add(...) no longer works).
  if (options.nag !== false) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, config };
}

// Entry point of `cdk synth|deploy|destroy` (cdk.json): run only when executed, not imported.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    buildApp().app.synth();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`trail-auditor: ${error.message}`);
    process.exit(1);
  }
}
