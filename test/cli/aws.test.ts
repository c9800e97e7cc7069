import {
  DescribeExecutionCommand,
  ListStateMachinesCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { POLL_MS, resolveStateMachine, splitRange, startBackfill } from '../../cli/aws.ts';
import { InvalidInputError } from '../../functions/core/errors.ts';

const ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:TrailAuditor-audit';
const EXECUTION = 'arn:aws:states:eu-west-1:123456789012:execution:TrailAuditor-audit:backfill-1';

/** A real client with its send() mocked, and an io that records lines and sleeps. */
function fixture() {
  const client = new SFNClient({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
  });
  const sfn = mockClient(client);
  const lines: string[] = [];
  const sleeps: number[] = [];
  const io = { log: (line: string) => void lines.push(line), sleep: async (ms: number) => void sleeps.push(ms) };
  return { client, sfn, lines, sleeps, io };
}

const backfill = suite('startBackfill');

backfill('a range that ends before it starts fails before any AWS call', async () => {
  const { client, sfn, io } = fixture();
  try {
    await startBackfill({ stateMachine: 'TrailAuditor-audit', from: '2017-11-29', to: '2017-11-28' }, client, io);
    assert.unreachable('should have thrown');
  } catch (error) {
    assert.instance(error, InvalidInputError);
    assert.match((error as Error).message, /"from".*must be before "to"/);
  }
  assert.is(sfn.calls().length, 0);
  assert.is(sfn.commandCalls(StartExecutionCommand).length, 0);
});

backfill('a malformed date fails before any AWS call', async () => {
  const { client, sfn, io } = fixture();
  try {
    await startBackfill({ stateMachine: ARN, from: 'yesterday', to: '2017-11-28' }, client, io);
    assert.unreachable('should have thrown');
  } catch (error) {
    assert.instance(error, InvalidInputError);
  }
  assert.is(sfn.calls().length, 0);
});

backfill('starts an execution with the normalised backfill input and returns at once without --wait', async () => {
  const { client, sfn, lines, io } = fixture();
  sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: new Date() });
  const code = await startBackfill(
    { stateMachine: ARN, from: '2017-11-28', to: '2017-11-28', accounts: ['123456789012'], regions: ['eu-west-1'] },
    client,
    io,
  );
  assert.is(code, 0);
  const [start] = sfn.commandCalls(StartExecutionCommand);
  assert.is(start!.args[0].input.stateMachineArn, ARN);
  assert.match(String(start!.args[0].input.name), /^backfill-2017-11-28-[0-9a-f]{8}$/);
  assert.equal(JSON.parse(String(start!.args[0].input.input)), {
    mode: 'backfill',
    from: '2017-11-28T00:00:00.000Z',
    to: '2017-11-29T00:00:00.000Z',
    accounts: ['123456789012'],
    regions: ['eu-west-1'],
  });
  assert.is(sfn.commandCalls(ListStateMachinesCommand).length, 0, 'an ARN needs no lookup');
  assert.is(sfn.commandCalls(DescribeExecutionCommand).length, 0);
  assert.equal(lines, [`Started ${EXECUTION}`]);
});

backfill('--wait polls until SUCCEEDED, sleeping between polls, then prints the summary', async () => {
  const { client, sfn, lines, sleeps, io } = fixture();
  const summary = { runId: 'backfill-1', complete: true, findings: { new: 3 } };
  sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: new Date() });
  sfn
    .on(DescribeExecutionCommand)
    .resolvesOnce({ status: 'RUNNING', executionArn: EXECUTION, stateMachineArn: ARN, startDate: new Date() })
    .resolvesOnce({ status: 'RUNNING', executionArn: EXECUTION, stateMachineArn: ARN, startDate: new Date() })
    .resolves({
      status: 'SUCCEEDED',
      executionArn: EXECUTION,
      stateMachineArn: ARN,
      startDate: new Date(),
      output: JSON.stringify(summary),
    });
  const code = await startBackfill({ stateMachine: ARN, from: '2017-11-28', to: '2017-11-29', wait: true }, client, io);
  assert.is(code, 0);
  assert.is(sfn.commandCalls(DescribeExecutionCommand).length, 3);
  for (const call of sfn.commandCalls(DescribeExecutionCommand)) assert.is(call.args[0].input.executionArn, EXECUTION);
  assert.equal(sleeps, [POLL_MS, POLL_MS]);
  assert.ok(lines.includes('Execution SUCCEEDED'));
  assert.equal(JSON.parse(lines.at(-1)!), summary);
});

backfill('--wait on a failed run prints the error and returns 1', async () => {
  const { client, sfn, lines, io } = fixture();
  sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: new Date() });
  sfn.on(DescribeExecutionCommand).resolves({
    status: 'FAILED',
    executionArn: EXECUTION,
    stateMachineArn: ARN,
    startDate: new Date(),
    error: 'RunIncomplete',
    cause: 'Some work items did not finish',
  });
  const code = await startBackfill({ stateMachine: ARN, from: '2017-11-28', to: '2017-11-29', wait: true }, client, io);
  assert.is(code, 1);
  assert.ok(lines.includes('Execution FAILED'));
  assert.ok(lines.some((line) => line.startsWith('RunIncomplete: Some work items')));
});

backfill('--wait prints the summary and the cause for people with control characters escaped', async () => {
  const { client, sfn, lines, io } = fixture();
  const key = 'AWSLogs/123456789012/CloudTrail/us-east-1/2017/11/28/x_Bad\u001b[2J\u202e.json.gz';
  sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: new Date() });
  sfn.on(DescribeExecutionCommand).resolves({
    status: 'FAILED',
    executionArn: EXECUTION,
    stateMachineArn: ARN,
    startDate: new Date(),
    output: JSON.stringify({ failures: [{ key, reason: 'not gzip\u009b2J' }] }),
    error: 'RunIncomplete',
    cause: `stopped at ${key}\r\nforged`,
  });
  assert.is(
    await startBackfill({ stateMachine: ARN, from: '2017-11-28', to: '2017-11-29', wait: true }, client, io),
    1,
  );
  const out = lines.join('\n');
  // eslint-disable-next-line no-control-regex
  assert.not.ok(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/u.test(out), out);
  assert.ok(
    lines.some(
      (line) => line.includes('stopped at AWSLogs/') && line.includes('\\x1B[2J\\u202E.json.gz\\x0D\\x0Aforged'),
    ),
  );
});

backfill('--wait --json prints one JSON line', async () => {
  const { client, sfn, lines, io } = fixture();
  sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: new Date() });
  sfn.on(DescribeExecutionCommand).resolves({
    status: 'SUCCEEDED',
    executionArn: EXECUTION,
    stateMachineArn: ARN,
    startDate: new Date(),
    output: '{"complete":true}',
  });
  await startBackfill({ stateMachine: ARN, from: '2017-11-28', to: '2017-11-29', wait: true, json: true }, client, io);
  assert.is(lines.length, 1);
  assert.equal(JSON.parse(lines[0]!), { executionArn: EXECUTION, status: 'SUCCEEDED', summary: { complete: true } });
});

backfill.run();

const resolve = suite('resolveStateMachine');

resolve('an ARN is used as given, with no call', async () => {
  const { client, sfn } = fixture();
  assert.is(await resolveStateMachine(client, ARN), ARN);
  assert.is(sfn.calls().length, 0);
});

resolve('a name is found across ListStateMachines pages', async () => {
  const { client, sfn } = fixture();
  const machine = (name: string) => ({
    name,
    stateMachineArn: `arn:aws:states:eu-west-1:123456789012:stateMachine:${name}`,
    type: 'STANDARD' as const,
    creationDate: new Date(),
  });
  sfn
    .on(ListStateMachinesCommand)
    .resolvesOnce({ stateMachines: [machine('other'), machine('TrailAuditor-auditX')], nextToken: 'page-2' })
    .resolvesOnce({ stateMachines: [machine('TrailAuditor-audit')], nextToken: 'page-3' })
    .resolves({ stateMachines: [machine('never-reached')] });
  assert.is(await resolveStateMachine(client, 'TrailAuditor-audit'), ARN);
  const calls = sfn.commandCalls(ListStateMachinesCommand);
  assert.is(calls.length, 2);
  assert.is(calls[0]!.args[0].input.nextToken, undefined);
  assert.is(calls[1]!.args[0].input.nextToken, 'page-2');
});

resolve('an unknown name fails after the last page, and a backfill then starts nothing', async () => {
  const { client, sfn, io } = fixture();
  sfn
    .on(ListStateMachinesCommand)
    .resolvesOnce({ stateMachines: [], nextToken: 'page-2' })
    .resolves({ stateMachines: [] });
  try {
    await startBackfill({ stateMachine: 'missing', from: '2017-11-28', to: '2017-11-29' }, client, io);
    assert.unreachable('should have thrown');
  } catch (error) {
    assert.instance(error, InvalidInputError);
    assert.match((error as Error).message, /no state machine named missing/);
  }
  assert.is(sfn.commandCalls(ListStateMachinesCommand).length, 2);
  assert.is(sfn.commandCalls(StartExecutionCommand).length, 0);
});

resolve.run();

const split = suite('splitRange');

split('splits a long backfill into consecutive executions that cover the range exactly', () => {
  assert.equal(splitRange('2026-01-01T00:00:00.000Z', '2026-03-12T00:00:00.000Z', 30), [
    { from: '2026-01-01T00:00:00.000Z', to: '2026-01-31T00:00:00.000Z' },
    { from: '2026-01-31T00:00:00.000Z', to: '2026-03-02T00:00:00.000Z' },
    { from: '2026-03-02T00:00:00.000Z', to: '2026-03-12T00:00:00.000Z' },
  ]);
  assert.equal(splitRange('2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z', 30).length, 1);
});

split.run();
