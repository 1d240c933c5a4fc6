import { EventEmitter, once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerError } from 'smtp-server';

/**
 * A real SMTP server in the test process (smtp-server on 127.0.0.1), keeping every message it
 * accepts by envelope recipient, so a test can say "Bob's mailbox has the notice":
 *
 *   const mailbox = await TestMailbox.start();      // SMTP_URL: mailbox.url
 *   …
 *   const [notice] = await mailbox.waitFor('bob@example.test');
 *   expect(notice.subject).to.equal('Your roles in scimd changed');
 *
 * It can also play an outage: stop() refuses connections, start() again on the same port ends it,
 * and refuse(451) answers every recipient with a temporary failure until refuse(undefined).
 * No TLS and no login: nodemailer sends plainly to smtp://127.0.0.1:<port>.
 */
export interface ReceivedMail {
  /** Envelope sender and recipients (MAIL FROM, RCPT TO). */
  readonly envelopeFrom: string;
  readonly envelopeTo: readonly string[];
  /** The From and To headers as written (`scimd <noreply@example.test>`). */
  readonly from: string;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
}

export class TestMailbox {
  private readonly received: ReceivedMail[] = [];
  private readonly events = new EventEmitter();
  private server: SMTPServer | undefined;
  private refusal: number | undefined;

  private constructor(private listeningPort: number) {}

  /** Starts a mailbox on `port` (0: any free port). */
  static async start(port = 0): Promise<TestMailbox> {
    const mailbox = new TestMailbox(port);
    await mailbox.start();
    return mailbox;
  }

  get port(): number {
    return this.listeningPort;
  }

  /** The SMTP_URL that reaches this mailbox. */
  get url(): string {
    return `smtp://127.0.0.1:${this.listeningPort}`;
  }

  /** Every message accepted so far, in order. */
  get all(): readonly ReceivedMail[] {
    return [...this.received];
  }

  /** The messages accepted for `address` (compared case-insensitively). */
  messagesFor(address: string): ReceivedMail[] {
    const wanted = address.toLowerCase();
    return this.received.filter((mail) => mail.envelopeTo.some((to) => to.toLowerCase() === wanted));
  }

  /** Resolves once `address` has `count` messages (the mocha timeout is the deadline). */
  async waitFor(address: string, count = 1): Promise<ReceivedMail[]> {
    while (this.messagesFor(address).length < count) await once(this.events, 'mail');
    return this.messagesFor(address);
  }

  /** Answers every RCPT TO with `code` (a 4xx: try again later) until refuse(undefined). */
  refuse(code: number | undefined): void {
    this.refusal = code;
  }

  /** Listens again (on the same port after stop()). */
  async start(): Promise<void> {
    if (this.server) return;
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      closeTimeout: 1000,
      onRcptTo: (_address, _session, callback) => {
        if (this.refusal === undefined) return callback();
        const error: SMTPServerError = new Error('Mailbox temporarily unavailable, try again later');
        error.responseCode = this.refusal;
        return callback(error);
      },
      onData: (stream, session, callback) => {
        simpleParser(stream).then((parsed) => {
          this.received.push({
            envelopeFrom: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
            envelopeTo: session.envelope.rcptTo.map((rcpt) => rcpt.address),
            from: parsed.from?.text ?? '',
            to: [parsed.to ?? []].flat().map((to) => to.text).join(', '),
            subject: parsed.subject ?? '',
            text: parsed.text ?? '',
          });
          this.events.emit('mail');
          callback();
        }, (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))));
      },
    });
    server.listen(this.listeningPort, '127.0.0.1');
    await once(server.server, 'listening');
    this.listeningPort = (server.server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Stops listening: connections are refused (an SMTP outage) until start(). */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
