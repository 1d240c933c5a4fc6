import type { MailConfig } from '../config';
import { codeOf, fail, ok, reasonOf, withDeadline, type CheckResult } from '../diagnosis';
import { smtpTransport } from './mailer';

const SMTP = 'smtp.verify';

/**
 * The doctor's SMTP check: nodemailer's verify() on the transport notices are sent with connects,
 * greets (EHLO), upgrades with STARTTLS when offered, and logs in when the URL carries a login. It
 * sends no message. The server is named without the URL's user name and password.
 */
export async function diagnoseMail(mail: MailConfig, deadlineMs: number): Promise<CheckResult> {
  const where = serverOf(mail.url);
  const transport = smtpTransport(mail, deadlineMs);
  try {
    await withDeadline(`verifying ${where}`, deadlineMs * 2, () => transport.verify());
    return ok(SMTP, `${where} accepted EHLO${new URL(mail.url).username ? ' and the login' : ''}; notices are sent from ${mail.from}`);
  } catch (error) {
    return fail(SMTP, `${where}: ${reasonOf(error)}`, fixFor(codeOf(error), reasonOf(error)));
  } finally {
    transport.close();
  }
}

/** `smtps://mail.example.com:465`: scheme, host and port only. */
function serverOf(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}`;
}

function fixFor(code: string | undefined, reason: string): string {
  if (code === 'EAUTH') return 'the server refused the login: correct the user name and password in SMTP_URL (percent-encoded)';
  if (code === 'EDNS' || /ENOTFOUND|EAI_AGAIN/.test(reason)) return 'the host name in SMTP_URL does not resolve: correct it';
  if (/ECONNREFUSED/.test(reason)) {
    return 'nothing listens there: check the host and port in SMTP_URL (smtp://host:587 with STARTTLS, smtps://host:465) and that the mail server runs';
  }
  if (/Greeting never received/i.test(reason)) {
    return 'the server accepted the connection but sent no SMTP greeting: smtp:// to a port that speaks TLS at once (465) '
      + 'waits so; use smtps:// there, or check that an SMTP server listens on that port';
  }
  if (code === 'ETLS' || /certificate|SSL|TLS/i.test(reason)) {
    return 'the TLS connection failed: smtps:// needs a port speaking TLS at once (465), smtp:// one that offers STARTTLS (587), '
      + 'and the server\'s certificate must be trusted here (NODE_EXTRA_CA_CERTS for a private CA)';
  }
  return 'check SMTP_URL (host, port, login) and that a firewall lets this machine reach the mail server';
}
