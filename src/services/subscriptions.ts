/**
 * Webhook subscriptions as the API offers them (CONTRACT §6): owned by the key that made them,
 * invisible (404) to every other key, all visible to admins. The URL passes the SSRF guard at
 * creation; the secret (`whsec_` + 32 random bytes, base64) is returned once.
 */
import { randomBytes } from 'node:crypto';
import { parseInstant } from '../domain/time.ts';
import {
  type DeliveryView,
  type NewSubscriptionRequest,
  type Subscription,
  type SubscriptionView,
  deliveryView,
  subscriptionView,
} from '../domain/webhooks.ts';
import { NotFoundError, ValidationError, WebhookUrlRefusedError } from '../errors.ts';
import type { Clock, DeliveryStore, SubscriptionStore, WebhookUrlGuard } from '../ports.ts';
import type { Notifier, ReplayReport } from './notifier.ts';

/** Who is asking: the owner id subscriptions are filed under, and whether they see everyone's. */
export interface Caller {
  owner: string;
  admin: boolean;
}

export interface SubscriptionsDeps {
  subscriptions: SubscriptionStore;
  deliveries: DeliveryStore;
  guard: WebhookUrlGuard;
  notifier: Pick<Notifier, 'replay'>;
  clock: Clock;
}

export const SUBSCRIPTION_ID = /^sub_[0-9a-f]{20}$/;

export function createSubscriptions(deps: SubscriptionsDeps) {
  /** The caller's subscription, or 404 whether it is someone else's or nobody's. */
  async function owned(caller: Caller, id: string): Promise<Subscription> {
    const found = SUBSCRIPTION_ID.test(id) ? await deps.subscriptions.get(id) : undefined;
    if (!found || (!caller.admin && found.owner !== caller.owner)) throw new NotFoundError(`No subscription '${id.slice(0, 64)}'.`);
    return found;
  }

  return {
    async create(caller: Caller, request: NewSubscriptionRequest): Promise<SubscriptionView & { secret: string }> {
      try {
        await deps.guard.check(request.url);
      } catch (error) {
        if (!(error instanceof WebhookUrlRefusedError)) throw error;
        throw new ValidationError(`The webhook URL is refused: ${error.message}`, [{ index: 0, path: 'url', message: error.message }]);
      }
      const subscription: Subscription = {
        id: `sub_${randomBytes(10).toString('hex')}`,
        owner: caller.owner,
        url: request.url,
        types: [...new Set(request.types)],
        recipients: [...new Set(request.recipients)],
        secret: `whsec_${randomBytes(32).toString('base64')}`,
        status: 'active',
        createdAt: deps.clock.now().toISOString(),
        disabledAt: null,
        disabledReason: null,
      };
      await deps.subscriptions.create(subscription);
      return { ...subscriptionView(subscription), secret: subscription.secret };
    },

    async list(caller: Caller): Promise<SubscriptionView[]> {
      const found = caller.admin ? await deps.subscriptions.listAll() : await deps.subscriptions.listByOwner(caller.owner);
      return found.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : 1)).map(subscriptionView);
    },

    async get(caller: Caller, id: string): Promise<SubscriptionView> {
      return subscriptionView(await owned(caller, id));
    },

    async remove(caller: Caller, id: string): Promise<SubscriptionView> {
      const found = await owned(caller, id);
      await deps.subscriptions.remove(found.id);
      return subscriptionView(found);
    },

    async deliveries(caller: Caller, id: string, page: { before?: string; limit: number }): Promise<{ items: DeliveryView[]; next: string | null }> {
      const found = await owned(caller, id);
      const out = await deps.deliveries.list(found.id, page);
      return { items: out.items.map(deliveryView), next: out.next };
    },

    async replay(caller: Caller, id: string, since: string): Promise<ReplayReport> {
      const found = await owned(caller, id);
      if (found.status !== 'active') {
        throw new ValidationError(`Subscription '${id}' is ${found.status} (${found.disabledReason ?? ''}); create a new one to receive notifications.`);
      }
      return deps.notifier.replay(found, parseInstant(since)!);
    },
  };
}

export type Subscriptions = ReturnType<typeof createSubscriptions>;
