/**
 * What a bundled handler finds in the Lambda runtime, for importing a built bundle in a plain Node
 * process (the infra tests and the bundle benchmark): the environment its config requires, and the
 * `awslambda` global that response-streaming handlers use.
 */
export const LAMBDA_ENV = {
  PATH: process.env.PATH ?? '',
  AWS_REGION: 'eu-west-1',
  EVENTS_TABLE: 'events',
  STATE_TABLE: 'state',
  KEYS_TABLE: 'keys',
  PROJECTOR_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/projector',
  NOTIFY_TABLE: 'notify',
  NOTIFIER_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/notifier',
  DELIVERY_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/delivery',
  DELIVERY_DLQ_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/delivery-dlq',
  TRACKER_ADMIN_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:admin-AbCdEf',
  RECONCILE_GRACE_SECONDS: '30',
  STREAM_MAX_SECONDS: '840',
  POWERTOOLS_SERVICE_NAME: 'gpu-policy-tracker',
  POWERTOOLS_METRICS_NAMESPACE: 'GpuPolicyTracker',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

/** The `awslambda` global, stood in as the runtime provides it to response-streaming handlers. */
export const LAMBDA_RUNTIME_GLOBALS = 'globalThis.awslambda = { streamifyResponse: (f) => f, HttpResponseStream: { from: (s) => s } };';
