import type { TestServer } from './test-server';

export interface AdminReply {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly contentType: string;
  readonly location: string | null;
}

/** The admin JSON API of a test server, over HTTP with a bearer token (a service account's or a person's). */
export class AdminClient {
  constructor(private readonly server: TestServer, private readonly token: string) {}

  get(path: string): Promise<AdminReply> {
    return this.send('GET', path);
  }

  post(path: string, body: unknown = {}): Promise<AdminReply> {
    return this.send('POST', path, body);
  }

  patch(path: string, body: unknown): Promise<AdminReply> {
    return this.send('PATCH', path, body);
  }

  delete(path: string): Promise<AdminReply> {
    return this.send('DELETE', path);
  }

  private async send(method: string, path: string, body?: unknown): Promise<AdminReply> {
    const response = await fetch(`${this.server.running.url}/admin/api${path}`, {
      method,
      headers: { Authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return {
      status: response.status,
      body: text ? JSON.parse(text) as Record<string, unknown> : {},
      contentType: response.headers.get('content-type') ?? '',
      location: response.headers.get('location'),
    };
  }
}
