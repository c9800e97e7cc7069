import { PutMetricDataCommand, type CloudWatchClient, type MetricDatum as CwDatum } from '@aws-sdk/client-cloudwatch';
import type { MetricDatum, MetricsSink } from '../core/ports.ts';

/** PutMetricData takes at most 1,000 datums a call. */
const MAX_DATUMS = 1000;

/** Publishes to CloudWatch, in as few PutMetricData calls as the API allows. */
export class CloudWatchMetrics implements MetricsSink {
  constructor(private readonly client: CloudWatchClient) {}

  async publish(namespace: string, data: MetricDatum[]): Promise<void> {
    for (let i = 0; i < data.length; i += MAX_DATUMS) {
      await this.client.send(
        new PutMetricDataCommand({ Namespace: namespace, MetricData: data.slice(i, i + MAX_DATUMS).map(toCloudWatch) }),
      );
    }
  }
}

function toCloudWatch(datum: MetricDatum): CwDatum {
  return {
    MetricName: datum.name,
    Value: datum.value,
    Unit: datum.unit,
    Timestamp: datum.timestamp,
    ...(datum.dimensions
      ? { Dimensions: Object.entries(datum.dimensions).map(([Name, Value]) => ({ Name, Value })) }
      : {}),
  };
}
