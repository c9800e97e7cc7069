import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { LOCAL_TABLES } from '../../cli/local/store.ts';
import { stateTableAwsRanges } from '../../functions/adapters/aws-ip-ranges.ts';
import { queryFindings } from '../../functions/adapters/dynamodb.ts';
import type { CloudTrailRecord } from '../../functions/core/cloudtrail.ts';
import { buildLogKey } from '../../functions/core/trail-keys.ts';
import { MemoryTrail } from '../helpers/fakes.ts';
import { ipRangesJson, ipRangesServer } from '../helpers/ip-ranges-server.ts';
import { localHarness } from '../helpers/local.ts';
import { aRecord, anInstanceSession } from '../helpers/records.ts';

const DETECTOR = 'ec2-instance-credentials-off-instance';
const THIEF = '203.0.113.66';
const scope = { trailPrefix: '', account: '123456789012' };
const endpoint = { vpcEndpointId: 'vpce-0a1b2c3d4e5f60789' };
const call = (ip: string, eventTime: string, overrides: Partial<CloudTrailRecord> = {}) =>
  aRecord({ userIdentity: anInstanceSession(), sourceIPAddress: ip, eventTime, ...overrides });

/** An instance that only speaks through a VPC endpoint, and one call of its session from outside AWS. */
function endpointOnlyTheft(): MemoryTrail {
  const stamp = '2026-11-30T10:05:00Z';
  return new MemoryTrail().putRecords(
    buildLogKey(scope, 'us-east-1', new Date(stamp), 'theft'),
    [
      call('10.0.1.5', '2026-11-30T10:01:00Z', endpoint),
      call(THIEF, '2026-11-30T10:02:00Z'),
      call('10.0.1.5', '2026-11-30T10:03:00Z', endpoint),
    ],
    new Date(Date.parse(stamp) + 60_000),
  );
}

const test = suite('Correlate with the ranges fetched at run time (real state machine, dynalite)');

test('the fetched ranges decide the off-instance verdict as a bundled ip-ranges.json does; without them, no verdict', async () => {
  for (const reachable of [true, false]) {
    const h = await localHarness();
    const server = await ipRangesServer({ kind: 'json', body: ipRangesJson() });
    if (!reachable) await server.close();
    try {
      const log: string[] = [];
      const trail = endpointOnlyTheft();
      const result = await h.run({
        lister: trail,
        reader: trail,
        input: { mode: 'backfill', from: '2026-11-30T10:00:00Z', to: '2026-11-30T11:00:00Z' },
        awsRanges: stateTableAwsRanges(h.store.client, LOCAL_TABLES.state, server.url, {
          log: (line) => log.push(line),
        }),
      });
      assert.is(result.status, 'SUCCEEDED', JSON.stringify(result.error));
      const findings = await queryFindings(h.store.client, LOCAL_TABLES.findings, { detector: DETECTOR }, []);
      if (reachable) {
        assert.equal(
          findings.map((f) => f.sourceIPAddress),
          [THIEF],
        );
        assert.match(findings[0]!.reason ?? '', `${THIEF} is outside AWS's published ranges`);
        assert.is(server.requests(), 1, 'one fetch for every Correlate shard of the run');
      } else {
        assert.equal(findings, []);
        assert.match(log[0]!, /ECONNREFUSED.*going on without AWS's published ranges$/);
      }
    } finally {
      if (reachable) await server.close();
      await h.close();
    }
  }
});

test.run();
