/** The wire shapes of docs/CONTRACT.md the client reads. */

export interface User {
  id: string;
  email: string;
  name: string;
  listIds?: string[];
}

export interface AuthResponse {
  token: string;
  user: User;
  listIds: string[];
}

export interface Member {
  id: string;
  name: string;
  email: string;
  role: string;
}

export interface Item {
  id: string;
  listId: string;
  name: string;
  quantity: number;
  unit: string;
  checked: boolean;
  checkedBy?: string | null;
  checkedAt?: string | null;
  addedBy: string;
  createdAt: string;
}

export interface List {
  id: string;
  name: string;
  inviteCode: string;
  members: Member[];
  items: Item[];
  createdAt: string;
  seq: number;
  role: string;
}

export interface ListSummary {
  id: string;
  name: string;
  role: string;
  inviteCode: string;
  memberCount: number;
  itemCount: number;
  uncheckedCount: number;
}

export interface Store {
  id: string;
  listId: string;
  name: string;
  tripCount: number;
  learnedOrder: Record<string, number>;
}

export interface Trip {
  id: string;
  listId: string;
  storeId: string | null;
  storeName: string | null;
  completedAt: string;
  itemCount: number;
  receiptUrl: string | null;
}

export interface Suggestion {
  name: string;
  unit: string;
  frequencyLabel: string;
  reason?: string;
}

export interface Presence {
  users: { id: string; name: string }[];
  connections: number;
}

export interface Frame {
  type: string;
  payload?: unknown;
  seq?: number;
}
