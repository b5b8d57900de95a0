import { ApiUser, at, type ApiResponse } from '@ticketing/testkit/api-user';
import { fail } from './check.js';
import { describeAnswer, unreachable } from './answers.js';
import { BusWatch } from './bus-watch.js';

/**
 * The learner's running system as the checks see it: its front door at `url` and nothing else.
 * Requests go through it as a browser's would; the event explorer's feed, when a check needs
 * events, is opened once and shared.
 */
export class Shop {
  private watch: Promise<BusWatch> | undefined;

  constructor(
    readonly url: string,
    /** How long an effect that travels by events may take to show. */
    readonly timeoutMs: number,
  ) {}

  /** A new user, signed up (a fresh email each time, so checks never meet earlier runs' data). */
  async newUser(): Promise<User> {
    const user = new User(this, new ApiUser(at(this.url), `checkpoint-${Math.random().toString(36).slice(2, 12)}@example.com`));
    user.id = (await user.expect(201, 'POST', '/api/users/signup', { email: user.email, password: user.password })).id;
    return user;
  }

  /** Another session of `user`'s, signed in with the same email and password. */
  async signIn(user: User): Promise<User> {
    const again = new User(this, new ApiUser(at(this.url), user.email, user.password));
    again.id = (await again.expect(200, 'POST', '/api/users/signin', { email: user.email, password: user.password })).id;
    return again;
  }

  /** A user who is not signed in. */
  visitor(): User {
    return new User(this, new ApiUser(at(this.url)));
  }

  /** GET of a page (HTML) or any path, without a session. */
  async fetch(path: string, init?: RequestInit): Promise<Response> {
    try {
      return await fetch(`${this.url}${path}`, init);
    } catch (err) {
      return unreachable(this.url, err);
    }
  }

  /** The event explorer's feed, opened at the first call (before the check acts, so its events are seen live). */
  bus(): Promise<BusWatch> {
    this.watch ??= BusWatch.open(this.url);
    return this.watch;
  }

  async close(): Promise<void> {
    const watch = await this.watch?.catch(() => undefined);
    watch?.close();
  }
}

export class User {
  id = '';

  constructor(
    private readonly shop: Shop,
    private readonly api: ApiUser,
  ) {}

  get email() {
    return this.api.email;
  }

  get password() {
    return this.api.password;
  }

  /** Sends a request; a front door that cannot be reached, or an answer that is not JSON, is a Failure saying so. */
  async request(method: string, path: string, body?: unknown): Promise<ApiResponse> {
    try {
      return await this.api.request(method, path, body);
    } catch (err) {
      if (err instanceof SyntaxError) fail(`${method} ${path} answered something that is not JSON: is ${this.shop.url} Ticketing's front door?`);
      return unreachable(this.shop.url, err);
    }
  }

  /** The body of an answer with status `status`; any other answer is a Failure that says what came instead. */
  async expect(status: number, method: string, path: string, body?: unknown): Promise<any> {
    const res = await this.request(method, path, body);
    if (res.status !== status) fail(`${method} ${path} answered ${describeAnswer(res, status)}`);
    return res.body;
  }

  /** An event stream of this user's (GET with the session), as a browser's EventSource opens it. */
  openStream(path: string, signal: AbortSignal): Promise<Response> {
    return this.api.openStream(path, signal).catch((err: unknown) => unreachable(this.shop.url, err));
  }
}
