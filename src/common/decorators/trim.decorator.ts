import { Transform } from 'class-transformer';

/** Trims string input before validation; other types pass through to be rejected by their validators. */
export const Trim = () =>
  Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value));

/** An email address as accounts are keyed: trimmed and lower-cased (register, login, the legacy import). */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Trims and lower-cases an email address. */
export const NormalizeEmail = () =>
  Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? normalizeEmail(value) : value));
