import type { RunningSystem } from './system.js';

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/**
 * A user of the system over HTTP only: it keeps the `session` cookie the auth service sets
 * and sends each request to the service the ingress would route it to.
 */
export class ApiUser {
  private cookie: string | undefined;
  id = '';

  constructor(
    private readonly system: RunningSystem,
    readonly email = `user-${Math.random().toString(36).slice(2, 10)}@example.com`,
    readonly password = 'correct horse battery',
  ) {}

  static async signUp(system: RunningSystem): Promise<ApiUser> {
    const user = new ApiUser(system);
    const res = await user.post('/api/users/signup', { email: user.email, password: user.password });
    if (res.status !== 201) throw new Error(`signup failed: ${res.status} ${JSON.stringify(res.body)}`);
    user.id = res.body.id;
    return user;
  }

  get = (path: string) => this.request('GET', path);
  post = (path: string, body?: unknown) => this.request('POST', path, body);
  put = (path: string, body?: unknown) => this.request('PUT', path, body);
  delete = (path: string) => this.request('DELETE', path);

  async request(method: string, path: string, body?: unknown): Promise<ApiResponse> {
    const url = `${this.system.url(this.system.serviceFor(path))}${path}`;
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.cookie) headers.cookie = this.cookie;
    const res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const setCookie = res.headers.getSetCookie().find((c) => c.startsWith('session='));
    if (setCookie) this.cookie = setCookie.split(';')[0];
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
  }
}
