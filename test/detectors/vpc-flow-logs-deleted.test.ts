import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { vpcFlowLogsDeleted } from '../../functions/detectors/vpc-flow-logs-deleted.ts';
import { aCall, aFailed } from '../helpers/records.ts';

const test = suite('vpc-flow-logs-deleted');
const remove = (ids: unknown) => aCall('ec2', 'DeleteFlowLogs', { DeleteFlowLogsRequest: { FlowLogId: ids } });

test('matches DeleteFlowLogs and names the flow log', () => {
  assert.equal(vpcFlowLogsDeleted.detect(remove({ content: 'fl-0123456789abcdef0', tag: 1 })), {
    reason: 'DeleteFlowLogs requested for flow log fl-0123456789abcdef0.',
  });
});

test('names every flow log of a multi-id request', () => {
  const match = vpcFlowLogsDeleted.detect(
    remove([
      { content: 'fl-1', tag: 1 },
      { content: 'fl-2', tag: 2 },
    ]),
  );
  assert.is(match?.reason, 'DeleteFlowLogs requested for flow log fl-1, fl-2.');
});

test('reports a failed delete one step lower', () => {
  assert.is(vpcFlowLogsDeleted.detect(aFailed(remove({ content: 'fl-1' })))?.severity, 'low');
});

test('ignores CreateFlowLogs and DescribeFlowLogs', () => {
  assert.is(
    vpcFlowLogsDeleted.detect(aCall('ec2', 'CreateFlowLogs', { resourceIdSet: { items: [{ resourceId: 'vpc-1' }] } })),
    undefined,
  );
  assert.is(vpcFlowLogsDeleted.detect(aCall('ec2', 'DescribeFlowLogs')), undefined);
});

test.run();
