/** HTTP calls to the CartSync API, with the bearer token kept in localStorage. */

const TOKEN_KEY = 'cartsync.token';

/** The server answered with an error body (docs/CONTRACT.md): `message` is one human sentence. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The request never got an answer: offline, or the server is unreachable. */
export class NetworkError extends Error {
  constructor() {
    super('You are offline or the server cannot be reached.');
  }
}

export const session = {
  token: (): string | null => localStorage.getItem(TOKEN_KEY),
  save: (token: string): void => localStorage.setItem(TOKEN_KEY, token),
  clear: (): void => localStorage.removeItem(TOKEN_KEY),
};

let unauthorized: () => void = () => undefined;

/** Called when the server no longer accepts the token (signed out elsewhere, expired). */
export function onUnauthorized(handler: () => void): void {
  unauthorized = handler;
}

export async function api<T>(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<T> {
  const token = session.token();
  const isForm = body instanceof FormData;
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers: {
        Accept: 'application/json',
        ...(body !== undefined && !isForm ? { 'Content-Type': 'application/json' } : {}),
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : isForm ? body : JSON.stringify(body),
    });
  } catch {
    throw new NetworkError();
  }
  const text = await response.text();
  let data: unknown;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    if (response.status === 401 && token && !path.startsWith('/auth/login')) unauthorized();
    const message = (data as { message?: unknown } | null)?.message;
    throw new ApiError(response.status, typeof message === 'string' ? message : `Request failed (${response.status}).`);
  }
  return data as T;
}

/** A message for the user from whatever a call threw. */
export function describe(error: unknown): string {
  return error instanceof Error ? error.message : 'Something went wrong.';
}
