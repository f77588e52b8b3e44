/** Small HTTP helpers for end-to-end tests against a running stack. */
/** The admin key the end-to-end stacks are started with. */
export const E2E_ADMIN_KEY = 'e2e-admin-key-0123456789abcdef';

export async function postEvents(url: string, body: unknown, contentType = 'application/cloudevents-batch+json', key = E2E_ADMIN_KEY) {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(`${url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': contentType, authorization: `Bearer ${key}` },
      body: JSON.stringify(body),
    });
    // 5xx and 429 may be retried as is (CONTRACT §2); anything else is the answer.
    if ((res.status >= 500 || res.status === 429) && attempt < 10) {
      await new Promise((r) => setTimeout(r, 100 * (attempt + 1)));
      continue;
    }
    return { status: res.status, body: (await res.json()) as any };
  }
}

export async function getJson(url: string): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(url);
  return { status: res.status, body: res.status === 304 ? null : await res.json(), headers: res.headers };
}

/** Polls `check` until it returns a value, or fails after `timeoutMs` with the last reason. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 60_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Every event of a recipient's history, walking the cursor. */
export async function fullHistory(url: string, recipientId: string): Promise<any[]> {
  const items: any[] = [];
  let after: string | null = null;
  do {
    const page = await getJson(`${url}/v1/recipients/${recipientId}/events?limit=100${after ? `&after=${after}` : ''}`);
    if (page.status !== 200) throw new Error(`history ${page.status}`);
    items.push(...page.body.items);
    after = page.body.next;
  } while (after);
  return items;
}
