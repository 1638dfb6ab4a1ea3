/**
 * `native-rating rate`: rate a month of CUR. With `--cur` and `--dry-run` it reads
 * local files with the embedded engine and writes the workbook and report to
 * `--out`; this is a composition root (it builds the adapters and reads config).
 */
import { ExcelWorkbookWriter } from '../adapters/workbook/usage-workbook.writer.js';
import { DuckDbCurSource } from '../adapters/engine/duckdb-cur-source.js';
import { FolderRunOutput } from '../adapters/files/run-output.js';
import { rateMonth, type RateMonthResult } from '../app/rate-month.js';
import { subscriptionsFor } from '../app/subscriptions.js';
import type { Progress } from '../app/ports.js';
import { loadAssets, loadConfig } from '../config/load.js';
import { ConnectorError } from '../domain/errors.js';
import { runSummaryText } from './summary.js';

export interface RateOptions {
  period: string;
  cur?: string;
  config: string;
  assets?: string;
  billAllAccounts?: boolean;
  dryRun?: boolean;
  out: string;
  payer?: string;
  json?: boolean;
  /** Version of the outputs (reprocess): > 1 writes to `<out>/<payer>/<period>/v<version>/`. */
  version?: number;
}

export interface CommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** True when stderr is a terminal (progress redraws one line). */
  stderrIsTty: boolean;
  now: () => Date;
  /** Waits between polls of a usage file the platform is checking (default: a real timer that stops on abort). */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

const PERIOD = /^\d{4}-(0[1-9]|1[0-2])$/;

/** Progress lines on stderr: one redrawn line on a terminal, a line per phase otherwise. */
export function progressPrinter(io: CommandIo): (p: Progress) => void {
  let lastPhase = '';
  return (p) => {
    const amount = p.unit === 'bytes' ? `${(p.done / 1048576).toFixed(1)}${p.total ? ` / ${(p.total / 1048576).toFixed(1)}` : ''} MiB` : `${p.done}${p.total ? `/${p.total}` : ''} ${p.unit}`;
    const percent = p.total ? ` (${Math.min(100, Math.floor((p.done * 100) / p.total))}%)` : '';
    if (io.stderrIsTty) io.stderr(`\r\u001b[K${p.phase}: ${amount}${percent}`);
    else if (p.phase !== lastPhase || p.done === p.total) io.stderr(`${p.phase}: ${amount}${percent}\n`);
    lastPhase = p.phase;
  };
}

function checkOptions(options: RateOptions): void {
  const problems: string[] = [];
  if (!PERIOD.test(options.period)) problems.push(`--period ${JSON.stringify(options.period)} is not YYYY-MM`);
  if (options.cur === undefined) problems.push('--cur <file-or-folder> is required (reading the CUR from Athena is not available yet)');
  if (!options.dryRun) problems.push('--dry-run is required (uploading to the platform is not available yet)');
  if ((options.assets === undefined) === (options.billAllAccounts !== true)) problems.push('give exactly one of --assets <assets.json> and --bill-all-accounts');
  if (options.payer !== undefined && !/^\d{12}$/.test(options.payer)) problems.push(`--payer ${JSON.stringify(options.payer)} is not a 12-digit account id`);
  if (problems.length > 0) throw new ConnectorError('CONFIG_INVALID', problems.join('\n'));
}

/** Runs the command; returns the result (the caller decides the exit code). */
export async function runRate(options: RateOptions, io: CommandIo, signal?: AbortSignal): Promise<RateMonthResult> {
  checkOptions(options);
  const loaded = await loadConfig(options.config);
  const assets = options.assets === undefined ? undefined : await loadAssets(options.assets);
  const { config } = loaded;
  if (options.payer !== undefined && !config.payers.some((p) => p.accountId === options.payer)) throw new ConnectorError('CONFIG_INVALID', `--payer ${options.payer ?? ''} is not in ${options.config} payers[]`, { where: { file: options.config, setting: 'payers' } });
  const cur = new DuckDbCurSource(options.cur as string, { memoryLimit: config.engine.memoryLimit, threads: config.engine.threads });
  const onProgress = progressPrinter(io);
  try {
    const result = await rateMonth(
      {
        cur,
        workbook: new ExcelWorkbookWriter(),
        output: new FolderRunOutput(options.out, options.version ?? 1),
        subscriptions: (payer) => (assets === undefined ? 'all' : subscriptionsFor(assets, payer, options.period)),
        now: io.now,
        onProgress,
      },
      {
        period: options.period,
        payers: config.payers,
        ...(options.payer === undefined ? {} : { onlyPayer: options.payer }),
        settings: config.rating,
        catalog: loaded.catalog,
        items: config.items,
        recordsSheetName: config.workbook.recordsSheetName,
        knownCurrencies: new Set(Intl.supportedValuesOf('currency')),
        ...(signal ? { signal } : {}),
      },
    );
    if (io.stderrIsTty) io.stderr('\r\u001b[K');
    io.stdout(options.json ? `${JSON.stringify(result, null, 2)}\n` : runSummaryText(result, options.period, config.rating.amountDecimals));
    return result;
  } finally {
    cur.close();
  }
}
