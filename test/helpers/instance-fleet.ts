import type { CloudTrailRecord, UserIdentity } from '../../functions/core/cloudtrail.ts';
import { buildLogKey } from '../../functions/core/trail-keys.ts';
import { MemoryTrail } from './fakes.ts';
import { mulberry32, type Rng } from './prng.ts';

/*
 * A trail shaped like a real account's day, for the off-instance detector: instances send agent
 * heartbeats all day (every 5 minutes, SSM and EC2 messages), some only through VPC endpoints,
 * some through NAT gateways shared by 3 or more instances, some both (SSM through an endpoint,
 * S3 through the NAT); credentials rotate every few hours (a new creationDate); instances start
 * during the day; people call with long-term keys from the office; look-alike sessions
 * (`i-deployer01` without ec2RoleDelivery) call from anywhere; a few stolen sessions are used
 * from outside, including a thief at the office's address and a theft from two addresses.
 * Files hold 5 minutes each, and some records arrive late, in a file of hours later.
 */

export const FLEET_ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const ROLE = 'AppServerRole';
const ROLE_ARN = `arn:aws:iam::${FLEET_ACCOUNT}:role/${ROLE}`;

/** ip-ranges.json for the fleet: 192.0.2.0/24 and 198.51.100.0/25 play AWS's ranges. */
export const FLEET_IP_RANGES = JSON.stringify({
  syncToken: '1764547200',
  createDate: '2026-12-01-00-00-00',
  prefixes: [
    { ip_prefix: '192.0.2.0/24', region: 'us-east-1', service: 'AMAZON', network_border_group: 'us-east-1' },
    { ip_prefix: '198.51.100.0/25', region: 'us-east-1', service: 'EC2', network_border_group: 'us-east-1' },
  ],
  ipv6_prefixes: [
    { ipv6_prefix: '2001:db8:a00::/40', region: 'us-east-1', service: 'AMAZON', network_border_group: 'us-east-1' },
  ],
});

const NATS = ['192.0.2.1', '192.0.2.2', '198.51.100.3'];
const OFFICE = ['203.0.113.10', '203.0.113.11'];
const ENDPOINTS = {
  ssm: 'vpce-0a1b2c3d4e5f60001',
  ec2messages: 'vpce-0a1b2c3d4e5f60002',
  s3: 'vpce-0a1b2c3d4e5f60003',
};
const AGENT = 'aws-sdk-go/1.44.0 (go1.21.5; linux; amd64) amazon-ssm-agent/3.3.0';
const APP = 'Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux#6.1 lang/python#3.11';

export type Network = 'endpoint' | 'nat' | 'mixed';

export interface FleetInstance {
  id: string;
  network: Network;
  nat: string;
  privateIp: string;
  /** Minutes after the start of the day the instance starts. */
  startMinute: number;
  /** Rotation period in minutes, and its phase. */
  rotateEvery: number;
  phase: number;
}

export interface Theft {
  instance: string;
  address: string;
  /** The detector's key of the instance. */
  key: string;
}

export interface Fleet {
  trail: MemoryTrail;
  instances: FleetInstance[];
  thefts: Theft[];
  /** The instances' own calls: key → address (public, or a home marker) → calls. */
  ownCalls: Map<string, Map<string, number>>;
  ownCallCount: number;
  lookAlikeCalls: number;
  records: number;
}

export interface FleetOptions {
  seed: number;
  hours: number;
  instances: number;
  thefts: number;
  /** Share of files with records that come late (delivered hours after their events). */
  lateShare?: number;
  start?: string;
}

const keyOf = (id: string) => `instance|${FLEET_ACCOUNT}|${ROLE_ARN}|${id.toLowerCase()}`;

/** Generates the fleet's trail (see the comment at the top). */
export function generateFleet(options: FleetOptions): Fleet {
  const rng = mulberry32(options.seed);
  const start = Date.parse(options.start ?? '2026-11-30T00:00:00Z');
  const minutes = options.hours * 60;
  const instances: FleetInstance[] = Array.from({ length: options.instances }, (_, i) => {
    const network: Network = i % 5 < 2 ? 'endpoint' : i % 5 < 4 ? 'nat' : 'mixed';
    return {
      // Mixed-case ids too, as anonymised datasets spell them.
      id: i % 7 === 6 ? `i-0A${rng.id(15)}` : `i-0${hex(rng, 16)}`,
      network,
      nat: NATS[i % NATS.length]!,
      privateIp: `10.0.${i >> 8}.${(i % 250) + 2}`,
      // A few instances start during the day: no history at first.
      startMinute: i % 6 === 5 ? rng.int(60, Math.max(61, minutes - 120)) : 0,
      rotateEvery: rng.pick([120, 180, 240, 360]),
      phase: rng.int(0, 119),
    };
  });
  const events: CloudTrailRecord[] = [];
  const ownCalls = new Map<string, Map<string, number>>();
  let ownCallCount = 0;
  let counter = 0;
  const at = (minute: number, second = 0) =>
    new Date(start + minute * 60_000 + second * 1000).toISOString().replace('.000Z', 'Z');
  const eventId = () =>
    `${hex(rng, 8)}-${hex(rng, 4)}-4${hex(rng, 3)}-8${hex(rng, 3)}-${String(++counter).padStart(12, '0')}`;
  const sessionAt = (instance: FleetInstance, minute: number) => {
    const since = minute - instance.startMinute + instance.phase;
    const rotatedAt = minute - (since % instance.rotateEvery);
    return at(Math.max(instance.startMinute, rotatedAt));
  };
  const own = (instance: FleetInstance, where: string) => {
    const byAddress = ownCalls.get(keyOf(instance.id)) ?? new Map<string, number>();
    ownCalls.set(keyOf(instance.id), byAddress.set(where, (byAddress.get(where) ?? 0) + 1));
    ownCallCount++;
  };
  const call = (
    identity: UserIdentity,
    minute: number,
    second: number,
    source: string,
    name: string,
    origin: { ip: string; endpoint?: string },
    userAgent: string,
    extra: Partial<CloudTrailRecord> = {},
  ) => {
    events.push({
      eventVersion: '1.09',
      userIdentity: identity,
      eventTime: at(minute, second),
      eventSource: `${source}.amazonaws.com`,
      eventName: name,
      awsRegion: REGION,
      sourceIPAddress: origin.ip,
      userAgent,
      requestParameters: null,
      responseElements: null,
      requestID: eventId(),
      eventID: eventId(),
      readOnly: true,
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: FLEET_ACCOUNT,
      ...(origin.endpoint ? { vpcEndpointId: origin.endpoint, vpcEndpointAccountId: FLEET_ACCOUNT } : {}),
      eventCategory: 'Management',
      ...extra,
    });
  };

  // The instances' own calls, every 5 minutes.
  for (const instance of instances) {
    for (let minute = instance.startMinute; minute < minutes; minute += 5) {
      const identity = instanceIdentity(instance.id, sessionAt(instance, minute), true);
      const second = rng.int(0, 299) % 60;
      const viaEndpoint = instance.network !== 'nat';
      const agentOrigin = viaEndpoint ? { ip: instance.privateIp, endpoint: ENDPOINTS.ssm } : { ip: instance.nat };
      call(identity, minute, second, 'ssm', 'UpdateInstanceInformation', agentOrigin, AGENT);
      own(instance, viaEndpoint ? 'home' : instance.nat);
      if (rng.chance(0.5)) {
        call(
          identity,
          minute + 1,
          second,
          'ec2messages',
          'GetMessages',
          viaEndpoint ? { ip: instance.privateIp, endpoint: ENDPOINTS.ec2messages } : { ip: instance.nat },
          AGENT,
        );
        own(instance, viaEndpoint ? 'home' : instance.nat);
      }
      // The application: S3 through the NAT for mixed instances, through the gateway endpoint otherwise.
      if (rng.chance(0.25)) {
        const appOrigin =
          instance.network === 'endpoint' ? { ip: instance.privateIp, endpoint: ENDPOINTS.s3 } : { ip: instance.nat };
        call(identity, minute + 2, second, 's3', 'GetObject', appOrigin, APP);
        own(instance, instance.network === 'endpoint' ? 'home' : instance.nat);
      }
    }
  }

  // People at the office, with long-term keys.
  for (let minute = 0; minute < minutes; minute += 7) {
    const user = rng.int(1, 4);
    const identity: UserIdentity = {
      type: 'IAMUser',
      principalId: `AIDAEXAMPLEUSER0000${user}`,
      arn: `arn:aws:iam::${FLEET_ACCOUNT}:user/dev${user}`,
      accountId: FLEET_ACCOUNT,
      accessKeyId: `AKIAEXAMPLEKEY00000${user}`,
      userName: `dev${user}`,
    };
    call(
      identity,
      minute,
      rng.int(0, 59),
      'ec2',
      'DescribeInstances',
      { ip: rng.pick(OFFICE) },
      'aws-cli/2.15.0 Python/3.11.6 Darwin/23.1.0',
    );
  }

  // Look-alike session names, without ec2RoleDelivery, from inside and outside.
  let lookAlikeCalls = 0;
  for (let minute = 3; minute < minutes; minute += 30) {
    const identity = instanceIdentity('i-deployer01', at(minute - (minute % 60)), false);
    call(
      identity,
      minute,
      0,
      'sts',
      'GetCallerIdentity',
      { ip: rng.pick(['192.0.2.1', '203.0.113.40', '198.51.100.200']) },
      'aws-cli/2.15.0',
    );
    lookAlikeCalls++;
  }

  // Thefts: a session in use at some minute is used from outside for a few calls.
  const thefts: Theft[] = [];
  const thieves = [
    '203.0.113.66',
    '203.0.113.67',
    '198.51.100.201',
    '2001:db8:bad::7',
    '198.51.100.77',
    '203.0.113.68',
  ];
  for (let t = 0; t < options.thefts; t++) {
    const instance = instances[(t * 7 + 3) % instances.length]!;
    const minute = rng.int(instance.startMinute + 10, minutes - 20);
    const identity = instanceIdentity(instance.id, sessionAt(instance, minute), true);
    // One thief at the office's address (a person's key uses it too); one theft from two addresses.
    const addresses = t === 0 ? [OFFICE[0]!] : t === 1 ? [thieves[0]!, thieves[1]!] : [thieves[t % thieves.length]!];
    for (const address of addresses) {
      for (let c = 0; c < rng.int(1, 4); c++) {
        call(
          identity,
          minute + c,
          rng.int(0, 59),
          rng.pick(['s3', 'iam', 'ec2', 'secretsmanager']),
          rng.pick(['ListBuckets', 'ListRoles', 'DescribeInstances', 'GetSecretValue']),
          { ip: address },
          rng.pick(['aws-cli/2.15.0 Python/3.11.6', 'Boto3/1.34.0', AGENT]),
        );
      }
      thefts.push({ instance: instance.id, address, key: keyOf(instance.id) });
    }
  }

  // Files of 5 minutes, records in any order within a file; some come late, hours after.
  const trail = new MemoryTrail();
  const files = new Map<number, CloudTrailRecord[]>();
  for (const event of events) {
    let slot = Math.floor((Date.parse(event.eventTime!) - start) / 300_000);
    if (rng.chance(options.lateShare ?? 0.03)) slot += rng.int(12, 48);
    files.set(slot, [...(files.get(slot) ?? []), event]);
  }
  for (const [slot, records] of files) {
    const stamp = new Date(start + slot * 300_000 + 300_000);
    trail.putRecords(
      buildLogKey({ trailPrefix: '', account: FLEET_ACCOUNT }, REGION, stamp, hex(rng, 16)),
      rng.shuffle(records),
      stamp,
    );
  }
  return { trail, instances, thefts, ownCalls, ownCallCount, lookAlikeCalls, records: events.length };
}

function instanceIdentity(id: string, creationDate: string, delivered: boolean): UserIdentity {
  return {
    type: 'AssumedRole',
    principalId: `AROAEXAMPLEAPPROLE01:${id}`,
    arn: `arn:aws:sts::${FLEET_ACCOUNT}:assumed-role/${ROLE}/${id}`,
    accountId: FLEET_ACCOUNT,
    accessKeyId: `ASIAEXAMPLE${id.slice(-9).toUpperCase()}`,
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        principalId: 'AROAEXAMPLEAPPROLE01',
        arn: ROLE_ARN,
        accountId: FLEET_ACCOUNT,
        userName: ROLE,
      },
      attributes: { creationDate, mfaAuthenticated: 'false' },
      ...(delivered ? { ec2RoleDelivery: '2.0' } : {}),
    },
  };
}

function hex(rng: Rng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += rng.int(0, 15).toString(16);
  return s;
}

/** How the detector's findings score against the fleet's truth (findings name the instance and show the address). */
export function scoreFleet(
  fleet: Fleet,
  findings: readonly { detector: string; principal: string; sourceIPAddress: string }[],
) {
  const mine = findings.filter((f) => f.detector === 'ec2-instance-credentials-off-instance');
  const flagged = new Set(
    mine.map((f) => `${keyOf(f.principal.slice(f.principal.lastIndexOf('/') + 1))}\u0000${f.sourceIPAddress}`),
  );
  const caught = fleet.thefts.filter((t) => flagged.has(`${t.key}\u0000${t.address}`)).length;
  let ownFlagged = 0;
  for (const [key, byAddress] of fleet.ownCalls) {
    for (const [address, calls] of byAddress) if (flagged.has(`${key}\u0000${address}`)) ownFlagged += calls;
  }
  const lookAlikes = mine.filter((f) => f.principal.toLowerCase().endsWith('/i-deployer01')).length;
  return {
    findings: mine.length,
    thefts: fleet.thefts.length,
    caught,
    ownCalls: fleet.ownCallCount,
    ownFlagged,
    lookAlikes,
  };
}
