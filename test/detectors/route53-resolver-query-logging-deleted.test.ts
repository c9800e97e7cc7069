import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { route53ResolverQueryLoggingDeleted as detector } from '../../functions/detectors/route53-resolver-query-logging-deleted.ts';
import { aCall, aFailed } from '../helpers/records.ts';

const test = suite('route53-resolver-query-logging-deleted');

test('matches DeleteResolverQueryLogConfig', () => {
  assert.equal(
    detector.detect(aCall('route53resolver', 'DeleteResolverQueryLogConfig', { resolverQueryLogConfigId: 'rqlc-1' })),
    {
      reason: "DeleteResolverQueryLogConfig requested for query logging configuration 'rqlc-1'.",
    },
  );
});

test('matches DisassociateResolverQueryLogConfig and names the VPC', () => {
  const record = aCall('route53resolver', 'DisassociateResolverQueryLogConfig', {
    resolverQueryLogConfigId: 'rqlc-1',
    resourceId: 'vpc-0abc',
  });
  assert.match(detector.detect(record)?.reason ?? '', "resource 'vpc-0abc'");
});

test('reports a failed call one step lower', () => {
  assert.is(detector.detect(aFailed(aCall('route53resolver', 'DeleteResolverQueryLogConfig', {})))?.severity, 'low');
});

test('ignores creating and associating query logging', () => {
  assert.is(detector.detect(aCall('route53resolver', 'CreateResolverQueryLogConfig', { name: 'x' })), undefined);
  assert.is(
    detector.detect(
      aCall('route53resolver', 'AssociateResolverQueryLogConfig', { resolverQueryLogConfigId: 'rqlc-1' }),
    ),
    undefined,
  );
});

test.run();
