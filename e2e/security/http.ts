import type { RunningSystem, ServiceName } from '../system.js';

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed JSON body, or undefined when there is none or it is not JSON. */
  body: any;
}

export interface RequestOptions {
  /** The whole `Cookie` header, e.g. `session=<jwt>`. */
  cookie?: string;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as it is, with `contentType` (default application/json). */
  raw?: string | Uint8Array;
  contentType?: string;
  /** More request headers, e.g. content-encoding. */
  headers?: Record<string, string>;
  /** Which service to ask; by default the one the ingress routes `path` to. */
  service?: ServiceName;
}

/** One HTTP request to a running service, with full control of the cookie and the body. */
export async function send(system: RunningSystem, method: string, path: string, options: RequestOptions = {}): Promise<RawResponse> {
  const service = options.service ?? system.serviceFor(path);
  const headers: Record<string, string> = { ...options.headers };
  let body: string | Uint8Array | undefined;
  if (options.raw !== undefined || options.body !== undefined) {
    headers['content-type'] = options.contentType ?? 'application/json';
    body = options.raw ?? JSON.stringify(options.body);
  }
  if (options.cookie) headers.cookie = options.cookie;
  const res = await fetch(`${system.url(service)}${path}`, { method, headers, body });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, text, body: parsed };
}

/** The `session` Set-Cookie of a response, split into its value and attributes. */
export function sessionSetCookie(res: RawResponse): { value: string; attributes: string[] } | undefined {
  const header = res.headers.getSetCookie().find((c) => c.startsWith('session='));
  if (!header) return undefined;
  const [pair, ...attributes] = header.split(';').map((p) => p.trim());
  return { value: pair!.slice('session='.length), attributes };
}

export interface SignedUp {
  id: string;
  email: string;
  password: string;
  /** The session JWT the auth service set. */
  token: string;
  cookie: string;
}

/** Signs a new user up through the auth service and keeps the token it issued. */
export async function signUpWithToken(system: RunningSystem): Promise<SignedUp> {
  const email = `user-${Math.random().toString(36).slice(2, 10)}@example.com`;
  const password = 'correct horse battery';
  const res = await send(system, 'POST', '/api/users/signup', { body: { email, password } });
  const token = sessionSetCookie(res)?.value;
  if (res.status !== 201 || !token) throw new Error(`signup failed: ${res.status} ${res.text}`);
  return { id: res.body.id, email, password, token, cookie: `session=${token}` };
}
