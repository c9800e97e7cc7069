import { pathToFileURL } from 'node:url';
import {
  App,
  Validations,
  type IPolicyValidationContext,
  type IPolicyValidationPlugin,
  type PolicyValidationPluginReport,
} from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigError } from '../functions/core/errors.ts';
import { AuditorStack } from './auditor-stack.ts';
import { stackConfigFromContext, unknownContextKeys, type StackConfig } from './config.ts';
import { checkRuleFiles } from './rule-files.ts';

/** Builds the app from its context; `nag: false` leaves cdk-nag out (the tests add it themselves). */
export function buildApp(
  app: App = new App(),
  options: { nag?: boolean } = {},
): { app: App; stack: AuditorStack; config: StackConfig; nag?: CountingPlugin } {
  const config = stackConfigFromContext((key) => app.node.tryGetContext(key));
  const stack = new AuditorStack(app, config.stackName, {
    config,
    // Account and region from the CLI's credentials at deploy time; synth needs neither.
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
  if (options.nag === false) return { app, stack, config };
  // cdk-nag 3 is a policy validation plugin (Aspects.of(app).add(...) no longer works).
  const nag = new CountingPlugin(new AwsSolutionsChecks(app));
  Validations.of(app).addPlugins(nag);
  return { app, stack, config, nag };
}

/**
 * A validation plugin that counts what the plugin it wraps reported, so synth can say in one
 * line that cdk-nag ran and found nothing (CDK prints a report only when there are findings).
 */
export class CountingPlugin implements IPolicyValidationPlugin {
  readonly name: string;
  runs = 0;
  violations = 0;

  constructor(private readonly inner: IPolicyValidationPlugin) {
    this.name = inner.name;
  }

  get version(): string | undefined {
    return this.inner.version;
  }

  get ruleIds(): string[] | undefined {
    return this.inner.ruleIds;
  }

  validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const report = this.inner.validate(context);
    this.runs++;
    this.violations += report.violations.length;
    return report;
  }
}

/** What `cdk synth` runs: warnings for unused context, rule files loaded, synth, one line on cdk-nag. */
export async function synthesize(
  app: App = new App(),
  log: (line: string) => void = (line) => console.error(line),
): Promise<void> {
  for (const warning of unknownContextKeys(app.node.getAllContext() as Record<string, unknown>))
    log(`trail-auditor: warning: ${warning}`);
  const { config, nag } = buildApp(app);
  // The rule files load here as a cold start will load them, so a bad one fails the synth.
  await checkRuleFiles(config);
  app.synth();
  if (nag && nag.runs > 0 && nag.violations === 0)
    log(`trail-auditor: cdk-nag (${nag.name}) checked the stack: nothing to report`);
}

// Entry point of `cdk synth|deploy|destroy` (cdk.json): run only when executed, not imported.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    await synthesize();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`trail-auditor: ${error.message}`);
    process.exit(1);
  }
}
