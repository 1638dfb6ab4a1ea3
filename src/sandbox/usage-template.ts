/**
 * A product's downloadable usage template in the sandbox: `GET
 * /usage/products/{id}/template` answers `{"template_link"}` pointing at the
 * sandbox itself, outside the API base path (`/media/usage-templates/<id>.xlsx`),
 * and that link is served without the API key, as the official python SDK
 * downloads it with a plain GET. The workbook is built with SheetJS: a
 * `usage_records` sheet whose only row is the product's seeded header
 * (`usageTemplate`, in its order) and a `categories` sheet with its header.
 */
import type { ServerResponse } from 'node:http';
import * as XLSX from 'xlsx';
import { CATEGORIES_SHEET, USAGE_RECORDS_SHEET } from './usage-files.check.js';

/** Where the templates are served, outside `/public/v1`. */
export const USAGE_TEMPLATE_PATH = '/media/usage-templates/';

/** The header of the template's categories sheet. */
export const TEMPLATE_CATEGORY_COLUMNS = ['category_id', 'category_name', 'category_description'] as const;

/** The content type of an .xlsx file. */
export const XLSX_MEDIA_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** The link of a product's template at the sandbox's `origin` (`http://127.0.0.1:port`). */
export function templateLink(origin: string, productId: string): string {
  return `${origin}${USAGE_TEMPLATE_PATH}${encodeURIComponent(productId)}.xlsx`;
}

/** The product id a template path names (`/media/usage-templates/PRD-1.xlsx` → `PRD-1`), or undefined. */
export function templateProductId(pathname: string): string | undefined {
  if (!pathname.startsWith(USAGE_TEMPLATE_PATH) || !pathname.endsWith('.xlsx')) return undefined;
  const raw = pathname.slice(USAGE_TEMPLATE_PATH.length, -'.xlsx'.length);
  if (raw === '' || raw.includes('/')) return undefined;
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

/** The template workbook's bytes for a records header. */
export function templateWorkbook(header: readonly string[]): Buffer {
  const book = XLSX.utils.book_new();
  XLSX.utils.book_append_sheet(book, XLSX.utils.aoa_to_sheet([[...header]]), USAGE_RECORDS_SHEET);
  XLSX.utils.book_append_sheet(book, XLSX.utils.aoa_to_sheet([[...TEMPLATE_CATEGORY_COLUMNS]]), CATEGORIES_SHEET);
  return XLSX.write(book, { type: 'buffer', bookType: 'xlsx' }) as Buffer;
}

/**
 * Serves `GET /media/usage-templates/<productId>.xlsx` (no API key): the
 * product's template from `headerOf`, 404 as JSON when the path or product has
 * none, 405 for another method. Writes the answer itself (bytes, not JSON).
 */
export function serveUsageTemplate(res: ServerResponse, method: string, pathname: string, headerOf: (productId: string) => readonly string[] | undefined): void {
  const json = (status: number, message: string): void => {
    const text = JSON.stringify({ error_code: status === 405 ? 'VAL_001' : 'NTF_001', errors: [message] });
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  if (method !== 'GET' && method !== 'HEAD') return json(405, `Method ${method} is not allowed on ${pathname}.`);
  const productId = templateProductId(pathname);
  const header = productId === undefined ? undefined : headerOf(productId);
  if (productId === undefined || header === undefined) return json(404, `No usage template at ${pathname}.`);
  const bytes = templateWorkbook(header);
  res.writeHead(200, {
    'content-type': XLSX_MEDIA_TYPE,
    'content-length': bytes.length,
    'content-disposition': `attachment; filename="${productId}-usage-template.xlsx"`,
  });
  res.end(method === 'HEAD' ? undefined : bytes);
}
