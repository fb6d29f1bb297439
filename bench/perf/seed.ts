/**
 * Seeding through the app's API, as the app's users would: a household is an owner who signs
 * up (their first list comes with the account), partners who join with the invite code, and
 * items added by the owner.
 */
import { Api } from '../http-client';

export const PASSWORD = 'bench-password-0123456789';

export interface AuthResponse {
  token: string;
  user: { id: string; email: string };
  listIds: string[];
}

export interface Household {
  listId: string;
  /** The owner's token first, then each partner's. */
  tokens: string[];
  emails: string[];
  itemIds: string[];
}

let seq = 0;

export function benchEmail(label: string): string {
  seq++;
  return `perf-${process.pid}-${seq}-${label}@bench.example.com`;
}

export function register(api: Api, label: string): Promise<AuthResponse> {
  return api.post<AuthResponse>('/auth/register', undefined, {
    email: benchEmail(label),
    password: PASSWORD,
    name: `Perf ${label} ${seq}`,
  });
}

const PRODUCTS = ['Milk', 'Eggs', 'Bread', 'Butter', 'Apples', 'Rice', 'Coffee', 'Tomatoes', 'Cheese', 'Pasta'];

export async function household(
  api: Api,
  label: string,
  sizes: { members: number; items: number },
): Promise<Household> {
  const owner = await register(api, `${label}-owner`);
  const listId = owner.listIds[0];
  const list = await api.get<{ inviteCode: string }>(`/lists/${listId}`, owner.token);
  const tokens = [owner.token];
  const emails = [owner.user.email];
  for (let i = 1; i < sizes.members; i++) {
    const partner = await register(api, `${label}-partner${i}`);
    await api.post(`/lists/join`, partner.token, { inviteCode: list.inviteCode });
    tokens.push(partner.token);
    emails.push(partner.user.email);
  }
  const itemIds: string[] = [];
  for (let i = 0; i < sizes.items; i++) {
    const item = await api.post<{ id: string }>(`/lists/${listId}/items`, owner.token, {
      name: `${PRODUCTS[i % PRODUCTS.length]} ${i + 1}`,
      quantity: (i % 3) + 1,
      unit: i % 2 === 0 ? 'pcs' : 'kg',
      ...(i % 4 === 0 ? { note: 'the usual one', category: 'Dairy' } : {}),
    });
    itemIds.push(item.id);
  }
  // A few already checked, as a list in use has.
  for (const itemId of itemIds.slice(0, Math.floor(itemIds.length / 4))) {
    await api.patch(`/lists/${listId}/items/${itemId}`, owner.token, { checked: true });
  }
  return { listId, tokens, emails, itemIds };
}

/** Runs the tasks `concurrency` at a time. */
export async function inParallel<T>(tasks: (() => Promise<T>)[], concurrency: number): Promise<T[]> {
  const results: T[] = new Array<T>(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const index = next++;
      results[index] = await tasks[index]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, tasks.length) }, worker));
  return results;
}
