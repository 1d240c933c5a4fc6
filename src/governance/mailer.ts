import { createTransport, type Mail } from 'nodemailer';
import type { MailConfig } from '../config';

/** One message as the outbox hands it to a sender. */
export interface OutgoingMail {
  readonly from: string;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
}

/** What the outbox worker needs from a mail transport; tests may fake it. */
export interface MailSender {
  /** Resolves once the server accepted the message; rejects with the transport's error. */
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
}

/**
 * Sends over SMTP with nodemailer, one connection per message (notices are few; a pool would hold
 * a connection open to a server that may go away). smtp:// upgrades with STARTTLS when the server
 * offers it, smtps:// is TLS from the start. The timeouts are shorter than nodemailer's defaults
 * (2 minutes to connect, 10 of silence), so a server that does not answer costs a worker run
 * seconds, not minutes: the outbox retries later anyway.
 */
export function smtpSender(config: MailConfig): MailSender {
  const transport = smtpTransport(config);
  return {
    async send(mail) {
      await transport.sendMail({ from: mail.from, to: mail.to, subject: mail.subject, text: mail.text });
    },
    close() {
      transport.close();
    },
  };
}

/** The nodemailer transport notices go through (the doctor verifies the same one); `timeoutMs` shortens every wait. */
export function smtpTransport(config: MailConfig, timeoutMs?: number): Mail {
  return createTransport({
    url: config.url,
    connectionTimeout: timeoutMs ?? 15_000,
    greetingTimeout: timeoutMs ?? 15_000,
    socketTimeout: timeoutMs ?? 30_000,
    // Its own logger stays off: it would log addresses and, at debug, the message.
    logger: false,
  });
}
