/**
 * The platform's usage file and product answers (CONNECT.md "Usage files") as zod
 * schemas mapped to the port types. Like schemas.ts: unknown fields are
 * tolerated; a missing required field is a PLATFORM_RESPONSE naming it (see
 * `parseResponse`).
 */
import { z } from 'zod';
import type { UsageFile } from '../../app/usage/ports.js';

/** Optional text: absent, null or '' → undefined. */
const optionalText = z
  .string()
  .nullish()
  .transform((s) => (s === null || s === undefined || s === '' ? undefined : s));

/**
 * A usage file (`/usage/files`) → `UsageFile`. Required: `id`, `status` and
 * `product.id`; `name` and `external_id` read as '' when absent or null (a file
 * made by hand in the portal may have no external id). `schema` is upper-cased
 * (the platform writes `pr`, products say `PR`).
 */
export const usageFileSchema = z
  .looseObject({
    id: z.string().min(1),
    name: z.string().nullish(),
    external_id: z.string().nullish(),
    status: z.string().min(1),
    schema: optionalText,
    currency: optionalText,
    period: z.looseObject({ from: optionalText, to: optionalText }).nullish(),
    product: z.looseObject({ id: z.string().min(1) }),
    contract: z.looseObject({ id: optionalText }).nullish(),
    error_detail: optionalText,
  })
  .transform((f): UsageFile => {
    const file: UsageFile = { id: f.id, name: f.name ?? '', externalId: f.external_id ?? '', status: f.status, productId: f.product.id };
    if (f.schema !== undefined) file.schema = f.schema.toUpperCase();
    if (f.currency !== undefined) file.currency = f.currency;
    if (f.period?.from !== undefined) file.periodFrom = f.period.from;
    if (f.period?.to !== undefined) file.periodTo = f.period.to;
    if (f.contract?.id !== undefined) file.contractId = f.contract.id;
    if (f.error_detail !== undefined) file.errorDetail = f.error_detail;
    return file;
  });

/**
 * A product (`GET /products/{id}`) → its usage schema, `capabilities.ppu.schema`
 * upper-cased (`QT`, `PR`, `CR`, `TR`); undefined when the product has no PPU
 * capability (`capabilities` or `ppu` absent or null) or no schema.
 */
export const productUsageSchemaSchema = z
  .looseObject({
    id: z.string(),
    capabilities: z.looseObject({ ppu: z.looseObject({ schema: optionalText }).nullish() }).nullish(),
  })
  .transform((p) => p.capabilities?.ppu?.schema?.toUpperCase());

/**
 * The answer to `POST /usage/files` (`usage.UsageFileCreate`): plain ids
 * (`product_id`, `marketplace`, `distribution_contract`), no `status`, no `product` object.
 * Only the id is read; the file itself comes from `GET /usage/files/{id}`.
 */
export const usageFileCreatedSchema = z.looseObject({ id: z.string().min(1) }).transform((f) => ({ id: f.id }));

/** `GET /usage/products/{id}/template` → `template_link`; undefined when absent, null or empty. */
export const usageTemplateSchema = z.looseObject({ template_link: optionalText }).transform((t) => t.template_link);
