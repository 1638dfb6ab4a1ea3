/** The member-account role template: what it trusts, what it grants, what it refuses. */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';

const TEMPLATE = 'config/cloudformation/partner-read-only-support-role.yaml';

describe('partner-read-only-support-role.yaml', () => {
  it('trusts only the payer account, with the external id when one is given', async () => {
    const text = await readFile(TEMPLATE, 'utf8');
    expect(text).toContain('AWSTemplateFormatVersion: "2010-09-09"');
    expect(text).toContain('arn:${AWS::Partition}:iam::${PayerAccountId}:root');
    expect(text).toMatch(/sts:ExternalId: !Ref ExternalId/);
    expect(text).toMatch(/AllowedPattern: "\^\[0-9\]\{12\}\$"/);
  });

  it('grants SupportUser under a deny of every write and of everything outside support reads', async () => {
    const text = await readFile(TEMPLATE, 'utf8');
    expect(text).toContain('iam::aws:policy/job-function/SupportUser');
    expect(text).toMatch(/Effect: Deny\s+Action:\s+- support:AddAttachmentsToSet[\s\S]*- support:CreateCase/);
    expect(text).toMatch(/Effect: Deny\s+NotAction:\s+- support:Describe\*\s+- support:Search\*/);
    expect(text).toContain('Default: PartnerReadOnlySupportRole');
  });
});
