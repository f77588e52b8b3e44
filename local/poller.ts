/**
 * Plays the Lambda SQS event source mapping locally: long-polls a queue, hands each batch to the
 * same handler Lambda runs as an `SQSEvent`, and deletes exactly the records the handler did not
 * report in `batchItemFailures`. Records left undeleted come back after the queue's visibility
 * timeout and reach the dead-letter queue through the queue's own RedrivePolicy, as on AWS.
 */
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type Message,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';

export interface PollerOptions {
  sqs: SQSClient;
  queueUrl: string;
  /** `eventSourceARN` of the records; read from the queue when omitted. */
  queueArn?: string;
  handler: (event: SQSEvent) => Promise<SQSBatchResponse | void>;
  /** Records per batch; one ReceiveMessage returns at most 10, so larger values are capped there. */
  batchSize: number;
  /**
   * Long-poll wait, 0–20 s (default 20). `stop()` lets a pending long poll finish rather than abort
   * it (an aborted receive can still take messages, hidden until their visibility timeout), so it
   * can take up to this long; stopping the emulator first releases pending polls at once.
   */
  waitTimeSeconds?: number;
  /** Parallel polling loops (default 1). */
  concurrency?: number;
  /** Handler failures and SQS errors; the poller itself carries on. Defaults to `console.error`. */
  onError?: (err: unknown) => void;
}

export interface Poller {
  /** Stops receiving and resolves once pending receives return and their batches are handled. */
  stop(): Promise<void>;
}

const RETRY_BACKOFF_MS = 1_000;
const MAX_RECEIVE = 10;

export class BatchFailedError extends Error {
  override readonly name = 'BatchFailedError';
}

export function startPoller(opts: PollerOptions): Poller {
  const onError = opts.onError ?? ((err: unknown) => console.error('[poller]', opts.queueUrl, err));
  const waitTimeSeconds = opts.waitTimeSeconds ?? 20;
  const maxMessages = Math.max(1, Math.min(opts.batchSize, MAX_RECEIVE));
  const stopping = new AbortController();
  let queueArn = opts.queueArn;

  const resolveArn = async (): Promise<string> => {
    if (queueArn) return queueArn;
    const out = await opts.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: opts.queueUrl, AttributeNames: ['QueueArn'] }),
    );
    const arn = out.Attributes?.QueueArn;
    if (!arn) throw new Error(`no QueueArn for ${opts.queueUrl}`);
    return (queueArn = arn);
  };

  const loop = async (): Promise<void> => {
    while (!stopping.signal.aborted) {
      let messages: Message[];
      let arn: string;
      try {
        arn = await resolveArn();
        const out = await opts.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: opts.queueUrl,
            MaxNumberOfMessages: maxMessages,
            WaitTimeSeconds: waitTimeSeconds,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
        );
        messages = out.Messages ?? [];
      } catch (err) {
        if (stopping.signal.aborted) return; // e.g. the emulator closed while we were stopping
        onError(err);
        await sleep(RETRY_BACKOFF_MS, stopping.signal);
        continue;
      }
      // A batch once received is always finished, even when stop() was called meanwhile.
      if (messages.length > 0) await handleBatch(messages, arn);
    }
  };

  const handleBatch = async (messages: Message[], arn: string): Promise<void> => {
    const records = messages.map((m) => toRecord(m, arn));
    let failed: Set<string>;
    try {
      failed = failedIds(await opts.handler({ Records: records }), records);
    } catch (err) {
      onError(err);
      return; // whole batch fails: nothing deleted, everything comes back after the visibility timeout
    }
    const done = records.filter((r) => !failed.has(r.messageId));
    if (done.length === 0) return;
    try {
      const out = await opts.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: opts.queueUrl,
          Entries: done.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
        }),
      );
      if (out.Failed?.length) {
        onError(new Error(`DeleteMessageBatch failed for ${out.Failed.length} record(s): ${JSON.stringify(out.Failed)}`));
      }
    } catch (err) {
      onError(err); // undeleted records are redelivered; handlers are idempotent
    }
  };

  const loops = Array.from({ length: Math.max(1, opts.concurrency ?? 1) }, () => loop());
  return {
    stop: async () => {
      stopping.abort();
      await Promise.all(loops);
    },
  };
}

/**
 * The message ids to keep, as Lambda reads a partial batch response: an identifier that is missing,
 * empty or not in the batch fails the whole batch.
 */
function failedIds(response: SQSBatchResponse | void, records: SQSRecord[]): Set<string> {
  const failures = response?.batchItemFailures ?? [];
  const ids = new Set(records.map((r) => r.messageId));
  const failed = new Set<string>();
  for (const failure of failures) {
    const id = failure?.itemIdentifier;
    if (typeof id !== 'string' || !ids.has(id)) {
      throw new BatchFailedError(`invalid batchItemFailures entry ${JSON.stringify(failure)}: whole batch failed`);
    }
    failed.add(id);
  }
  return failed;
}

function toRecord(message: Message, eventSourceARN: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  const record: SQSRecord = {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? '',
      SenderId: attributes.SenderId ?? '',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? '',
      ...optional('AWSTraceHeader', attributes.AWSTraceHeader),
      ...optional('SequenceNumber', attributes.SequenceNumber),
      ...optional('MessageGroupId', attributes.MessageGroupId),
      ...optional('MessageDeduplicationId', attributes.MessageDeduplicationId),
      ...optional('DeadLetterQueueSourceArn', attributes.DeadLetterQueueSourceArn),
    },
    messageAttributes: toMessageAttributes(message.MessageAttributes ?? {}),
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN,
    awsRegion: eventSourceARN.split(':')[3] ?? '',
  };
  if (message.MD5OfMessageAttributes) record.md5OfMessageAttributes = message.MD5OfMessageAttributes;
  return record;
}

/** SDK attribute values (PascalCase, bytes) to the Lambda event's (camelCase, base64). */
function toMessageAttributes(values: Record<string, MessageAttributeValue>): SQSMessageAttributes {
  const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
  const out: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(values)) {
    out[name] = {
      dataType: value.DataType ?? 'String',
      stringListValues: value.StringListValues ?? [],
      binaryListValues: (value.BinaryListValues ?? []).map(base64),
      ...optional('stringValue', value.StringValue),
      ...optional('binaryValue', value.BinaryValue && base64(value.BinaryValue)),
    };
  }
  return out;
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined || value === '' ? {} : ({ [key]: value } as Record<K, string>);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((done) => {
    const timer = setTimeout(finish, ms);
    signal.addEventListener('abort', finish, { once: true });
    function finish() {
      clearTimeout(timer);
      signal.removeEventListener('abort', finish);
      done();
    }
  });
}
