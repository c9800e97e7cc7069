import { principalOf } from '../core/cloudtrail.ts';
import { apiCallDetector, at, itemsOf, objectsOf, stringAt } from './lib.ts';
import { techniqueUrl } from './mitre.ts';
import { FAILED_CALLS } from './types.ts';

/**
 * The baseline: instance families almost never launched by ordinary workloads but favoured by
 * miners and model thieves (GPU, ML accelerators, FPGA, the largest memory families), and
 * launches of many instances in one call. A user tunes both.
 */
export interface UnusualInstanceOptions {
  /** Instance type prefixes treated as unusual, e.g. `p3.` or `g5`; default {@link UNUSUAL_FAMILIES}. */
  unusualFamilies?: readonly string[];
  /** Families that are usual here after all (your ML platform's `p4d`...), removed from the list. */
  usualFamilies?: readonly string[];
  /** A RunInstances asking for more than this many instances is unusual whatever its type; default 20. */
  maxCount?: number;
}

/** GPU (p, g), ML accelerators (inf, trn, dl), FPGA (f), high-memory (x, u-) and HPC (hpc) families. */
export const UNUSUAL_FAMILIES = [
  'p2',
  'p3',
  'p4',
  'p5',
  'p6',
  'g3',
  'g4',
  'g5',
  'g6',
  'gr6',
  'inf1',
  'inf2',
  'trn1',
  'trn2',
  'dl1',
  'dl2',
  'f1',
  'f2',
  'x1',
  'x2',
  'x8',
  'u-',
  'hpc',
];

function familyOf(instanceType: string): string {
  return instanceType.startsWith('u-') ? 'u-' : (instanceType.split('.')[0] ?? instanceType);
}

function countOf(value: unknown): number {
  const count = typeof value === 'string' ? Number(value) : value;
  return typeof count === 'number' && Number.isFinite(count) ? count : 0;
}

/** EC2 RunInstances of an unusual instance type, or of unusually many instances. */
export function createEc2UnusualInstanceLaunched(options: UnusualInstanceOptions = {}) {
  const usual = new Set(options.usualFamilies ?? []);
  const families = new Set((options.unusualFamilies ?? UNUSUAL_FAMILIES).filter((family) => !usual.has(family)));
  const maxCount = options.maxCount ?? 20;
  return apiCallDetector(
    {
      id: 'ec2-unusual-instance-launched',
      title: 'Unusual EC2 instances launched',
      description: `EC2 RunInstances for an instance family rarely used by ordinary workloads (by default GPU, ML accelerator, FPGA, high-memory and HPC families: ${[...families].join(', ')}) or for more than ${maxCount} instances in one call. Stolen credentials are used to mine or to run models on exactly these. Failed attempts (UnauthorizedOperation, VcpuLimitExceeded) are reported one step lower: they are how intruders probe.`,
      severity: 'high',
      mitre: { id: 'T1496.001', name: 'Resource Hijacking: Compute Hijacking' },
      references: [
        'https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RunInstances.html',
        techniqueUrl('T1496.001'),
      ],
      falsePositives: [
        'Teams that train models or render on GPU instances: list their families in usualFamilies, or suppress their principals.',
      ],
      runbook:
        "Check who launched what, where (awsRegion: unused regions are a tell) and with which key pair and user data. If unexpected: terminate the instances, revoke the caller's credentials, and look for the same pattern in other regions.",
      failedCalls: FAILED_CALLS.lowerSeverity,
      weaknesses: [
        'Launch templates that set the type are not resolved: RunInstances with only a launchTemplate is judged by its count.',
        'The family list is a baseline, not your history: an account that never uses c7i.48xlarge will not be told when one appears.',
      ],
      stratus: ['aws.execution.ec2-launch-unusual-instances'],
    },
    { 'ec2.amazonaws.com': ['RunInstances'] },
    (params, record) => {
      const type = stringAt(params, 'instanceType');
      const unusualType = type !== undefined && families.has(familyOf(type));
      const count = objectsOf(itemsOf(at(params, 'instancesSet'))).reduce(
        (sum, item) => sum + countOf(item.maxCount),
        0,
      );
      if (!unusualType && count <= maxCount) return undefined;
      const what = unusualType ? `instance type ${type}` : `${count} instances`;
      return `RunInstances by ${principalOf(record)} requested ${what}${unusualType && count > 0 ? ` (up to ${count})` : ''} in ${String(record.awsRegion ?? '?')}.`;
    },
  );
}

export const ec2UnusualInstanceLaunched = createEc2UnusualInstanceLaunched();
