/**
 * The admin key's secret. Locally the key comes from `TRACKER_ADMIN_KEY`; on AWS it is generated
 * here, never appears in the template, and the API function reads it by ARN at start.
 */
import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { Stage } from '../settings.ts';

export interface AdminKeyProps {
  readonly stage: Stage;
}

export class AdminKey extends Construct {
  readonly secret: Secret;

  constructor(scope: Construct, id: string, props: AdminKeyProps) {
    super(scope, id);
    this.secret = new Secret(this, 'Secret', {
      description: 'GPU Policy Tracker admin API key (Authorization: Bearer <value>)',
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
      removalPolicy: props.stage === 'prod' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    Validations.of(this.secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The admin key is a bearer credential handed to an operator, not a database password: rotating it ' +
        'on a schedule would lock the operator out. Rotate it on demand (put a new secret value; the API ' +
        'reads it by TRACKER_ADMIN_SECRET_ARN) and issue narrower keys via POST /v1/keys for daily use.',
    });
  }
}
