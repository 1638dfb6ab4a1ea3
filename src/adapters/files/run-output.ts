/**
 * Dry-run outputs in a folder: `<dir>/<payerAccountId>/<period>/usage.xlsx` and
 * `report.json`. Reports are written to a temporary file and renamed, so a reader
 * never sees half a report.
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { RunOutput } from '../../app/rate-month.js';
import type { PayerReport } from '../../app/report.js';

/** The folder of one version of a payer's month: v1 at `<dir>/<payer>/<period>`, later ones in `v<N>/` below it. */
export function versionFolder(dir: string, payerAccountId: string, period: string, version: number): string {
  const base = join(dir, payerAccountId, period);
  return version > 1 ? join(base, `v${version}`) : base;
}

export class FolderRunOutput implements RunOutput {
  /**
   * `version` > 1 (a reprocess) writes to `<dir>/<payer>/<period>/v<version>/`, so
   * the earlier versions stay beside it for the diff.
   */
  constructor(
    private readonly dir: string,
    private readonly version = 1,
  ) {}

  private folder(payerAccountId: string, period: string): string {
    return versionFolder(this.dir, payerAccountId, period, this.version);
  }

  workbookPath(payerAccountId: string, period: string): string {
    return join(this.folder(payerAccountId, period), 'usage.xlsx');
  }

  async writeReport(payerAccountId: string, period: string, report: PayerReport): Promise<string> {
    const path = join(this.folder(payerAccountId, period), 'report.json');
    await mkdir(dirname(path), { recursive: true });
    const temporary = `${path}.${process.pid}.tmp`;
    await writeFile(temporary, `${JSON.stringify(report, null, 2)}\n`, 'utf8');
    await rename(temporary, path);
    return path;
  }

  async discard(path: string): Promise<void> {
    await rm(path, { force: true });
  }
}
