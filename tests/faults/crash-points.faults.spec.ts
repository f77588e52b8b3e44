/**
 * Scenario `crash-points`: consumers die between their steps, queues redeliver after a 1 s visibility
 * timeout, and undecodable messages sit in every queue.
 *
 * Crash points (rules of the fault middleware, on the real calls):
 * - ingest: the append transaction is applied but the API fails (503) before answering;
 * - ingest: the enqueue after the append is lost (the 202 goes out; the reconciler must repair it);
 * - projector: the commit is applied but the run fails; the run succeeded but the poller's delete is
 *   lost (a crash after the DynamoDB write, before the SQS delete: the message comes back);
 * - notifier: the delivery messages are lost after the deliveries were created; the watermark advance
 *   fails; the poller's delete is lost;
 * - deliverer: the POST reached the subscriber but recording the attempt fails (a crash after
 *   notifying, before recording: the notification is sent again, with the same webhook id).
 *
 * Poison messages (bodies that cannot be decoded) go to the projector, notifier and delivery queues
 * at the start and in the middle; each must reach its dead-letter queue, and must not hold up the rest.
 */
import { type Message, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCAL_TABLES } from '../../local/stack.ts';
import { rng } from '../support/random-events.ts';
import { on, type Rule } from './fault-middleware.ts';
import { ADMIN_KEY, type FaultStack, seedFor, sleep, startFaultStack } from './harness.ts';
import { beginScenario, finishScenario } from './scenario.ts';
import { percentile, runLoad, scenarioEvents } from './workload.ts';

const SEED = seedFor(9002);
let fx: FaultStack | undefined;
afterAll(async () => fx?.stop());

function poisonBodies(round: number): { projector: string[]; notifier: string[]; delivery: string[] } {
  const n = `${SEED}-${round}`;
  const subjectLike = [
    `not json ${n} {{{`,
    `{"subject":${round}${SEED}}`,
    `{"subject":"recipients/UPPER-${n}"}`,
    `{"subject":"recipients/ok-${n}","extra":true}`,
    `["recipients/x-${n}"]`,
    `\u00ff\u00fe ${n} binary-ish`,
  ];
  return {
    projector: subjectLike.map((b) => `${b} `),
    notifier: subjectLike.map((b) => ` ${b}`),
    delivery: [`not json ${n}`, `{"subscriptionId":"sub_nope-${n}","key":"x"}`, `{"key":"${n}"}`, `null ${n}`],
  };
}

describe('crash points, redelivery and poison messages', () => {
  it(`recovers from every crash point; poison reaches the DLQ without holding up the rest (seed ${SEED})`, async () => {
    fx = await startFaultStack(SEED, { visibilityTimeoutSeconds: 1 });
    const { stack, faults } = fx;
    const q = stack.queueUrls;
    const url = () => stack.url;
    const random = rng(SEED);
    const events = scenarioEvents(SEED, 400, 8, 'crash', random);
    const run = await beginScenario(url, ['crash-r0', 'crash-r1', 'crash-r2']);

    const rules: Rule[] = [
      { name: 'ingest: append applied, API fails before answering', when: on.append(LOCAL_TABLES.Events), probability: 0.1, effect: 'fail-after' },
      { name: 'ingest: enqueue lost after the append', when: (c) => on.sendTo(q.projector)(c) || on.sendTo(q.notifier)(c), probability: 0.08, effect: 'fail-before' },
      { name: 'projector: commit applied, run fails', when: on.projectionCommit(LOCAL_TABLES.State), probability: 0.1, effect: 'fail-after' },
      { name: 'projector: crash after the write, before the SQS delete', when: on.deleteFrom(q.projector), probability: 0.3, effect: 'fail-before' },
      { name: 'notifier: deliveries created, their messages lost', when: on.sendTo(q.delivery), probability: 0.15, effect: 'fail-before' },
      { name: 'notifier: watermark advance fails', when: on.notifyWatermark, probability: 0.1, effect: 'fail-before' },
      { name: 'notifier: watermark advanced, run fails', when: on.notifyWatermark, probability: 0.05, effect: 'fail-after' },
      { name: 'notifier: crash after the fan-out, before the SQS delete', when: on.deleteFrom(q.notifier), probability: 0.3, effect: 'fail-before' },
      // Limited, so that they happen early: each costs the attempt's lease (60 s) before it is sent again.
      { name: 'deliverer: notified, crash before recording', when: on.deliveryRecord, probability: 0.15, effect: 'fail-before', limit: 12 },
    ];
    for (const rule of rules) faults.addRule(rule);

    // Poison straight into the queues, at the start and again in the middle of the load; a reader
    // watches the dead-letter queues from the start, so the time to the DLQ is measured as it happens.
    const sent: { queue: 'projector' | 'notifier' | 'delivery'; body: string; at: number }[] = [];
    const dlqOf = { projector: q.projectorDlq, notifier: q.notifierDlq, delivery: q.deliveryDlq };
    const inDlq = new Map<string, number>();
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        for (const queue of ['projector', 'notifier', 'delivery'] as const) {
          const out = await faults.bypass(() =>
            stack.tracker.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: dlqOf[queue], MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 3600 })),
          );
          for (const m of (out.Messages ?? []) as Message[]) if (!inDlq.has(`${queue}:${m.Body}`)) inDlq.set(`${queue}:${m.Body}`, Date.now());
        }
        await sleep(300);
      }
    })();
    const poison = async (round: number) => {
      const bodies = poisonBodies(round);
      for (const queue of ['projector', 'notifier', 'delivery'] as const) {
        for (const body of bodies[queue]) {
          await faults.bypass(() => stack.tracker.clients.sqs.send(new SendMessageCommand({ QueueUrl: q[queue], MessageBody: body })));
          sent.push({ queue, body, at: Date.now() });
        }
      }
    };
    await poison(1);
    let second: Promise<void> | undefined;
    const load = await runLoad({
      url, key: ADMIN_KEY, timeoutMs: 8_000, ledger: run.ledger, events, random, clients: 6, batch: [1, 10], duplicateShare: 0.3,
      onTick: (posted) => {
        if (!second && posted > events.length / 2) second = poison(2);
      },
    });
    await second;
    faults.clearRules();

    // Each poison message reaches its queue's DLQ (after maxReceiveCount receives, 1 s apart).
    const reached = (s: (typeof sent)[number]) => inDlq.has(`${s.queue}:${s.body}`);
    for (const deadline = Date.now() + 60_000; sent.some((s) => !reached(s)) && Date.now() < deadline; ) await sleep(250);
    watching = false;
    await watcher;
    const missingFromDlq = sent.filter((s) => !reached(s));
    const dlqLatency = sent.filter(reached).map((s) => inDlq.get(`${s.queue}:${s.body}`)! - s.at);
    // Legitimate messages that ended in a DLQ after repeated crashes (the reconciler repairs their subjects).
    const legitimateInDlq = [...inDlq.keys()].filter((k) => !sent.some((s) => `${s.queue}:${s.body}` === k)).length;

    const { summary, report } = await finishScenario(run, {
      scenario: 'crash-points',
      description: 'consumers crash between their steps (write/delete, notify/record, create/enqueue, append/answer), lost enqueues, visibility 1 s, poison messages in all three queues',
      seed: SEED,
      faultsInjected: faults.stats.injected + sent.length,
      faults: { ...faults.stats, poisonMessages: sent.length, loggedErrors: fx.logs.error, logMessages: fx.logs.messages },
      extra: {
        loadMs: load.durationMs,
        poison: { sent: sent.length, inDeadLetterQueues: sent.length - missingFromDlq.length, msToDlq: { max: Math.max(...dlqLatency), p50: percentile(dlqLatency, 50) }, legitimateInDlq },
      },
    });
    expect(missingFromDlq).toEqual([]);
    expect(report.problems).toEqual([]);
    expect([summary.lost, summary.countedTwice, summary.diverged]).toEqual([0, 0, 0]);
    for (const rule of rules) expect(faults.stats.byRule[rule.name], rule.name).toBeGreaterThan(0);
    // Notified, then crashed before recording: sent again after the lease, with the same webhook id.
    expect(report.notifications.redelivered).toBeGreaterThan(0);
  }, 420_000);
});
