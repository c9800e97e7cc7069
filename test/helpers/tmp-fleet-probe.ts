import { analyzeAndCorrelate } from './correlate.ts';
import { generateFleet, scoreFleet, FLEET_IP_RANGES } from './instance-fleet.ts';
import { createEc2InstanceCredentialsOffInstance, parseAwsIpRanges } from '../../functions/detectors/ec2-instance-credentials-off-instance.ts';
for (const seed of [1, 2, 3]) {
  const fleet = generateFleet({ seed, hours: 24, instances: 40, thefts: 30 });
  for (const ranges of [true, false]) {
    const detector = createEc2InstanceCredentialsOffInstance(ranges ? { awsIpRanges: parseAwsIpRanges(FLEET_IP_RANGES) } : {});
    const t0 = Date.now();
    const { findings, aggregates } = await analyzeAndCorrelate(fleet.trail, [...fleet.trail.objects.keys()].sort(), { detectors: [detector] });
    const score = scoreFleet(fleet, [...findings.items.values()]);
    console.log(seed, ranges, fleet.records, fleet.trail.objects.size, JSON.stringify(score), 'writes', aggregates.writes, Date.now() - t0, 'ms');
    if (seed === 1 && ranges) {
      const caughtKeys = new Set([...findings.items.values()].map(f => f.principal.split('/').pop()!.toLowerCase() + ' ' + f.sourceIPAddress));
      for (const t of fleet.thefts) if (!caughtKeys.has(t.instance.toLowerCase() + ' ' + t.address)) console.log('missed', t, fleet.instances.find(i => i.id === t.instance));
      for (const f of findings.items.values()) { const id = f.principal.split('/').pop()!; if (!fleet.thefts.some(t => t.instance === id && t.address === f.sourceIPAddress)) console.log('FP', id, f.sourceIPAddress, f.reason); }
    }
  }
}
