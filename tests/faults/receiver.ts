/**
 * A webhook subscriber on 127.0.0.1 (node:http) that verifies every delivery with the
 * `standardwebhooks` package as a real subscriber would, and records each one. The tracker must run
 * with private webhooks allowed (`allowPrivateWebhooks` / `TRACKER_ALLOW_PRIVATE_WEBHOOKS=1`).
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface Hit {
  webhookId: string;
  headers: IncomingHttpHeaders;
  body: string;
  verified: boolean;
  at: number;
  /** Status this receiver answered. */
  answered: number;
}

export interface Receiver {
  url: string;
  secret: string;
  hits: Hit[];
  /** Distinct `source id` of events received (parsed from the body). */
  received(): Set<string>;
  close(): Promise<void>;
}

/** `answer(webhookId, nth time this id arrives)` gives the status (default 204). */
export async function startReceiver(answer: (webhookId: string, nth: number) => number = () => 204): Promise<Receiver> {
  const seen = new Map<string, number>();
  const ids = new Set<string>();
  const hits: Hit[] = [];
  const receiver: Receiver = {
    url: '',
    secret: '',
    hits,
    received: () => ids,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      const webhookId = String(req.headers['webhook-id'] ?? '');
      let verified = false;
      try {
        new Webhook(receiver.secret).verify(body, req.headers as Record<string, string>);
        verified = true;
      } catch {
        verified = false;
      }
      const nth = (seen.get(webhookId) ?? 0) + 1;
      seen.set(webhookId, nth);
      const status = answer(webhookId, nth);
      hits.push({ webhookId, headers: req.headers, body, verified, at: Date.now(), answered: status });
      if (status >= 200 && status < 300) {
        try {
          const event = (JSON.parse(body) as { data: { event: { source: string; id: string } } }).data.event;
          ids.add(`${event.source} ${event.id}`);
        } catch {
          /* the oracle reports undecodable bodies */
        }
      }
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return receiver;
}

export interface SubscriptionUnderTest {
  id: string;
  types: string[];
  recipients: string[];
  createdAt: string;
  receiver: Receiver;
}

/** Creates a subscription for `receiver` with the admin key. */
export async function subscribe(url: string, adminKey: string, receiver: Receiver, body: { types?: string[]; recipients?: string[] } = {}): Promise<SubscriptionUnderTest> {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(`${url}/v1/subscriptions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: receiver.url, ...body }),
    });
    const made = (await res.json()) as any;
    if (res.status === 201) {
      receiver.secret = made.secret;
      return { id: made.id, types: made.types, recipients: made.recipients, createdAt: made.createdAt, receiver };
    }
    if (res.status < 500 || attempt > 20) throw new Error(`POST /v1/subscriptions: ${res.status} ${JSON.stringify(made)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
