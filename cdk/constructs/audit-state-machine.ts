import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { DEFINITION_PLACEHOLDERS, readDefinition, type DefinitionPlaceholder } from '../../statemachine/definition.ts';
import { acknowledgeWildcard, nagArn } from './iam.ts';

export interface AuditStateMachineProps {
  /** Fixed name: the Distributed Map's policy names the machine's own ARN without referring to it. */
  stateMachineName: string;
  functions: Record<DefinitionPlaceholder, IFunction>;
  logRetention: RetentionDays;
}

/**
 * The one definition, statemachine/audit.asl.json, kept inline (DefinitionBody.fromString, so the
 * template shows it) with every `${Placeholder}` filled from DEFINITION_PLACEHOLDERS.
 * The run timeout is the definition's own TimeoutSeconds (24 h): the CDK `timeout` prop only
 * applies to definitions built from CDK states, so it is not set here.
 */
export class AuditStateMachine extends Construct {
  readonly stateMachine: StateMachine;

  constructor(scope: Construct, id: string, props: AuditStateMachineProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const name = props.stateMachineName;
    const logGroup = new LogGroup(this, 'Logs', {
      // The vended-logs prefix keeps CloudWatch Logs' resource policy small (AWS's advice for Step Functions).
      logGroupName: `/aws/vendedlogs/states/${name}`,
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    const definitionSubstitutions = Object.fromEntries(
      DEFINITION_PLACEHOLDERS.map((placeholder) => [placeholder, props.functions[placeholder].functionArn]),
    );
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineName: name,
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromString(readDefinition()),
      definitionSubstitutions,
      // ALL events for the audit trail of runs, but never the payloads (keys, findings).
      logs: { destination: logGroup, level: LogLevel.ALL, includeExecutionData: false },
      tracingEnabled: true,
    });
    const role = this.stateMachine.role;

    // A string body hides its Tasks from CDK, so the invoke grants are explicit: the unqualified
    // ARNs the definition names, nothing else (no `:*` versions or aliases).
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: DEFINITION_PLACEHOLDERS.map((placeholder) => props.functions[placeholder].functionArn),
      }),
    );

    // The Distributed Map runs its items as child executions of this same machine. Its ARN is
    // built from the fixed name, not referenced, which would make the role depend on the machine
    // that depends on the role.
    const selfArn = stack.formatArn({
      service: 'states',
      resource: 'stateMachine',
      resourceName: name,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const childExecutions = stack.formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${name}/*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    role.addToPrincipalPolicy(new PolicyStatement({ actions: ['states:StartExecution'], resources: [selfArn] }));
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['states:DescribeExecution', 'states:StopExecution'],
        resources: [childExecutions],
      }),
    );

    acknowledgeWildcard(
      role,
      `Resource::${nagArn(this, childExecutions)}`,
      "The Distributed Map's child executions are named by Step Functions at run time (<machine>/<map run>:<id>); the grant is limited to executions of this one state machine.",
    );
    acknowledgeWildcard(
      role,
      'Resource::*',
      'Added by CDK for logging and tracing: logs:CreateLogDelivery and its siblings, and xray:PutTraceSegments/PutTelemetryRecords/GetSamplingRules/GetSamplingTargets, have no resource-level permissions.',
    );
  }
}
