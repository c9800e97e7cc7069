import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { ReadWriteType, Trail } from 'aws-cdk-lib/aws-cloudtrail';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface TryoutTrailProps {
  /** Key prefix before AWSLogs/ ('' for none), as the auditor's trailPrefix. */
  trailPrefix: string;
}

/**
 * `createTrail=true`: a multi-region trail with log file validation into a private, encrypted,
 * versioned, TLS-only bucket. For trying the auditor out; it goes away with the stack
 * (bucket emptied on delete), unlike an organisation's real trail, which the stack only reads.
 */
export class TryoutTrail extends Construct {
  readonly bucket: Bucket;
  readonly trail: Trail;

  constructor(scope: Construct, id: string, props: TryoutTrailProps) {
    super(scope, id);
    this.bucket = new Bucket(this, 'Bucket', {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: true,
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Try-out trail bucket: CloudTrail itself records every management call on it, it is private (block public access, bucket-owner-enforced, TLS only) and deleted with the stack; a second access-log bucket would add cost and teardown steps for no try-out value.',
    });
    this.trail = new Trail(this, 'Trail', {
      bucket: this.bucket,
      ...(props.trailPrefix ? { s3KeyPrefix: props.trailPrefix.replace(/\/+$/, '') } : {}),
      isMultiRegionTrail: true,
      managementEvents: ReadWriteType.ALL,
      includeGlobalServiceEvents: true,
      enableFileValidation: true,
      sendToCloudWatchLogs: false,
    });
  }
}
