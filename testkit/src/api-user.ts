/**
 * A user of the system over HTTP only, as a browser would be: it keeps the `session` cookie
 * the auth service sets. Whole-system tests and the benchmarks drive the system with it; it
 * loads nothing else of the test kit, so a process that only makes requests stays light.
 */
export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** Where a request for `path` goes: the front door, or the service an ingress would pick. */
export type UrlFor = (path: string) => string;

export class ApiUser {
  private cookie: string | undefined;
  id = '';

  constructor(
    private readonly urlFor: UrlFor,
    readonly email = `user-${Math.random().toString(36).slice(2, 12)}@example.com`,
    readonly password = 'correct horse battery',
  ) {}

  /** A new user, signed up and signed in. */
  static async signUp(urlFor: UrlFor): Promise<ApiUser> {
    const user = new ApiUser(urlFor);
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
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.cookie) headers.cookie = this.cookie;
    const res = await fetch(this.urlFor(path), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const setCookie = res.headers.getSetCookie().find((c) => c.startsWith('session='));
    if (setCookie) this.cookie = setCookie.split(';')[0];
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
  }

  /**
   * GET `path` with the session, as a browser's EventSource does: the response as soon as its
   * headers arrive, its body a stream to read with `eventStreamMessages`.
   */
  openStream(path: string, signal?: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (this.cookie) headers.cookie = this.cookie;
    return fetch(this.urlFor(path), { headers, signal });
  }

  /** Like `request`, but any status other than `expected` is an error. */
  async expect(expected: number, method: string, path: string, body?: unknown): Promise<any> {
    const res = await this.request(method, path, body);
    if (res.status !== expected) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }
}

/** Requests sent to one base URL, such as the front door. */
export const at =
  (baseUrl: string): UrlFor =>
  (path) =>
    `${baseUrl}${path}`;

/** One message of a server-sent event stream: an event with its data, or a comment line. */
export interface StreamMessage {
  event?: string;
  data?: string;
  comment?: string;
}

/** The messages of a `text/event-stream` body as they arrive, until the server ends it. */
export async function* eventStreamMessages(body: ReadableStream<Uint8Array>): AsyncGenerator<StreamMessage> {
  let buffer = '';
  for await (const chunk of body.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    for (let cut = buffer.indexOf('\n\n'); cut >= 0; cut = buffer.indexOf('\n\n')) {
      const message: StreamMessage = {};
      for (const line of buffer.slice(0, cut).split('\n')) {
        const [, field, value] = /^([^:]*):? ?(.*)$/.exec(line)!;
        if (field === '') message.comment = value;
        else if (field === 'event') message.event = value;
        else if (field === 'data') message.data = message.data === undefined ? value : `${message.data}\n${value}`;
      }
      buffer = buffer.slice(cut + 2);
      if (Object.keys(message).length > 0) yield message; // not a `retry:` line alone
    }
  }
}
