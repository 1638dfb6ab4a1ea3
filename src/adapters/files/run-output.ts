/**
 * Dry-run outputs in a folder: `<dir>/<payerAccountId>/<period>/usage.xlsx` and
 * `report.json`. Reports are written to a temporary file and renamed, so a reader
 * never sees half a report.
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { RunOutput } from '../../app/rate-month.js';
import type { PayerReport } from '../../app/report.js';

export class FolderRunOutput implements RunOutput {
  constructor(private readonly dir: string) {}

  private folder(payerAccountId: string, period: string): string {
    return join(this.dir, payerAccountId, period);
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
