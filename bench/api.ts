/**
 * A user of the system through its front door, as a browser would be: it keeps the `session`
 * cookie the auth service sets.
 */
export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export class ApiUser {
  private cookie: string | undefined;
  id = '';

  constructor(
    private readonly baseUrl: string,
    readonly email = `bench-${Math.random().toString(36).slice(2, 12)}@example.com`,
    readonly password = 'correct horse battery',
  ) {}

  static async signUp(baseUrl: string): Promise<ApiUser> {
    const user = new ApiUser(baseUrl);
    const res = await user.post('/api/users/signup', { email: user.email, password: user.password });
    if (res.status !== 201) throw new Error(`signup failed: ${res.status} ${JSON.stringify(res.body)}`);
    user.id = res.body.id;
    return user;
  }

  get = (path: string) => this.request('GET', path);
  post = (path: string, body?: unknown) => this.request('POST', path, body);

  async request(method: string, path: string, body?: unknown): Promise<ApiResponse> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.cookie) headers.cookie = this.cookie;
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const setCookie = res.headers.getSetCookie().find((c) => c.startsWith('session='));
    if (setCookie) this.cookie = setCookie.split(';')[0];
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
  }

  /** Like `request`, but anything other than `expected` is an error. */
  async expect(expected: number, method: string, path: string, body?: unknown): Promise<any> {
    const res = await this.request(method, path, body);
    if (res.status !== expected) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }
}

/** Runs `fn` over `items` with at most `concurrency` calls in flight. */
export async function inParallel<T, R>(items: T[], concurrency: number, fn: (item: T, i: number) => Promise<R>) {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await fn(items[i]!, i);
      }
    }),
  );
  return results;
}
