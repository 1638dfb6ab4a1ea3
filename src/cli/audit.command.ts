/**
 * `npx native-rating audit --payer 111111111111 [--period 2026-10] [--format table|json|html] [--out <file>]`:
 * the organization of one payer against the reseller's rules (issue 5). Members
 * come from Organizations; subscriptions from `--assets` or the platform's
 * assets; the month's CUR (`--cur`, else the payer's Athena table) when a period
 * is given. The adapters are built by `composeAudit`; this file checks the
 * flags, prints and writes.
 */
import { writeFile } from 'node:fs/promises';
import type { MemberPlan, OrganizationAudit } from '../app/support/audit-organization.js';
import { loadAssets, loadConfig } from '../config/load.js';
import { composeAudit, type AuditComposeOptions, type AuditEnv } from '../daemon/compose-audit.js';
import { ConnectorError } from '../domain/errors.js';
import { AUDIT_FORMATS, isAuditFormat, type AuditFormat, renderAudit, writtenNote } from './audit-output.js';
import { progressPrinter, type CommandIo } from './rate.command.js';

export type { AuditEnv } from '../daemon/compose-audit.js';

export interface AuditOptions {
  payer: string;
  config: string;
  period?: string;
  format?: string;
  out?: string;
  cur?: string;
  assets?: string;
  /** Detect each member's plan through the Support API (default true; `--no-detect`). */
  detect?: boolean;
}

/** Checks the flags that need no file (CONFIG_INVALID naming the flag, before any call); returns the format. */
function checkFlags(options: AuditOptions): AuditFormat {
  const format = options.format ?? 'table';
  if (!isAuditFormat(format)) throw new ConnectorError('CONFIG_INVALID', `--format ${JSON.stringify(format)} is not one of ${AUDIT_FORMATS.join(', ')}`, { where: { setting: '--format', value: format } });
  if (format === 'html' && options.out === undefined) throw new ConnectorError('CONFIG_INVALID', '--format html writes a page: give --out <file.html>', { where: { setting: '--out' } });
  if (options.period !== undefined && !/^\d{4}-(0[1-9]|1[0-2])$/.test(options.period)) throw new ConnectorError('CONFIG_INVALID', `--period ${JSON.stringify(options.period)} is not YYYY-MM`, { where: { setting: '--period', value: options.period } });
  return format;
}

/**
 * Runs the audit: progress on stderr (the CUR scan, then `audit payer <id>: 12/40
 * accounts`), the audit on stdout or in `--out`. Once `signal` aborts (SIGTERM,
 * SIGINT) the audit stops between accounts and throws `ConnectorError('ABORTED')`
 * saying it was interrupted; nothing is written, the plans detected are kept
 * for the next run.
 */
export async function runAudit(options: AuditOptions, io: CommandIo, env: AuditEnv, signal: AbortSignal = new AbortController().signal): Promise<OrganizationAudit> {
  const format = checkFlags(options);
  const loaded = await loadConfig(options.config, env.variables);
  if (!loaded.config.payers.some((p) => p.accountId === options.payer)) {
    throw new ConnectorError('CONFIG_INVALID', `--payer ${JSON.stringify(options.payer)} is not in ${options.config} payers[]`, { where: { file: options.config, setting: 'payers', value: options.payer } });
  }
  const assets = options.assets === undefined ? undefined : await loadAssets(options.assets);
  const composeOptions: AuditComposeOptions = { now: io.now, onNote: (text) => io.stderr(`${text}\n`), onProgress: progressPrinter(io) };
  const runtime = composeAudit(loaded, env, composeOptions);
  try {
    const audit = await runtime.auditPayer(
      {
        payerAccountId: options.payer,
        ...(options.period !== undefined ? { period: options.period } : {}),
        ...(options.cur !== undefined ? { cur: options.cur } : {}),
        ...(assets ? { assets } : {}),
        ...(options.detect !== undefined ? { detect: options.detect } : {}),
      },
      signal,
    );
    const text = renderAudit(audit, format);
    if (options.out !== undefined) {
      await writeFile(options.out, text, 'utf8');
      io.stdout(writtenNote(audit, options.out));
    } else io.stdout(text);
    return audit;
  } catch (error) {
    if (!signal.aborted || (error instanceof ConnectorError && error.code === 'ABORTED' && error.where.payer === options.payer)) throw error;
    // Stopped before the audit's own steps (the subscriptions, the CUR source): say so in the same words.
    throw new ConnectorError('ABORTED', `the audit of payer ${options.payer} was interrupted by a signal; run it again to finish`, { where: { payer: options.payer }, cause: error });
  } finally {
    if (io.stderrIsTty) io.stderr('\r\u001b[K');
    runtime.close();
  }
}

/** Plans detected elsewhere (e.g. a file of a previous detection), for callers that have them. */
export type DetectedPlans = Map<string, MemberPlan>;
