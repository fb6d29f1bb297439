import { UserEntity } from '../user.entity';

export class UserResponse {
  /** @example "0b6c3c1e-5a8f-4a59-9f0e-1c2d3e4f5a6b" */
  id!: string;
  /** @example "ana@example.com" */
  email!: string;
  /** @example "Ana" */
  name!: string;
  /** The lists the user is a member of. */
  listIds?: string[];
}

export function toUserResponse(user: UserEntity, listIds?: string[]): UserResponse {
  return { id: user.id, email: user.email, name: user.name, ...(listIds ? { listIds } : {}) };
}
