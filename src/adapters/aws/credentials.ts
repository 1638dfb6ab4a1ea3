/**
 * Credentials for one payer: STS AssumeRole into the payer's role (with the
 * reseller's external id), as an SDK credential provider function.
 */
import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';
import { ConnectorError } from '../../domain/errors.js';
import type { PayerAccess } from '../../app/orders/ports.js';
import { translateAwsError } from './aws-errors.js';

/** The session name AWS CloudTrail shows for the connector's calls in a payer. */
export const ROLE_SESSION_NAME = 'native-rating';
/** Session length asked of STS, in seconds (the 1 h maximum that role chaining allows). */
export const ASSUME_ROLE_DURATION_SECONDS = 3600;
/** Credentials are renewed this long (ms) before they expire: the SDK's own margin. */
export const REFRESH_MARGIN_MS = 5 * 60 * 1000;

/** Temporary credentials, as the SDK's `AwsCredentialIdentity` expects them. */
export interface TemporaryCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

/** An SDK credential provider (usable as a client's `credentials`). */
export type CredentialProvider = () => Promise<TemporaryCredentials>;

export interface PayerCredentialsOptions {
  /** The STS client that makes the AssumeRole calls, with the connector's own credentials. */
  sts: Pick<STSClient, 'send'>;
  /** Epoch milliseconds; defaults to `Date.now` (tests move it). */
  now?: () => number;
}

/**
 * The credentials a payer's clients use. With `roleArn`: a provider that
 * assumes the role (`RoleSessionName` "native-rating", `ExternalId` when given,
 * `DurationSeconds` 3600), keeps the result until 5 minutes before its
 * `Expiration`, then assumes the role again; concurrent callers share one STS
 * call. Without `roleArn`: undefined, so the SDK's default credential chain is
 * the payer. STS failures are thrown as `ConnectorError` (operation
 * `AssumeRole`); the external id never appears in a message.
 */
export function payerCredentials(payer: PayerAccess, options: PayerCredentialsOptions): CredentialProvider | undefined {
  const { roleArn, externalId, accountId } = payer;
  if (roleArn === undefined || roleArn === '') return undefined;
  const now = options.now ?? Date.now;
  let cached: TemporaryCredentials | undefined;
  let pending: Promise<TemporaryCredentials> | undefined;

  const assume = async (): Promise<TemporaryCredentials> => {
    try {
      const out = await options.sts.send(
        new AssumeRoleCommand({
          RoleArn: roleArn,
          RoleSessionName: ROLE_SESSION_NAME,
          DurationSeconds: ASSUME_ROLE_DURATION_SECONDS,
          ...(externalId ? { ExternalId: externalId } : {}),
        }),
      );
      const c = out.Credentials;
      if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
        throw new ConnectorError('AWS_CALL', `AWS AssumeRole for payer ${accountId} returned incomplete credentials`, {
          where: { payer: accountId },
        });
      }
      return {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        sessionToken: c.SessionToken,
        expiration: c.Expiration,
      };
    } catch (error) {
      throw translateAwsError(error, { operation: 'AssumeRole', payerAccountId: accountId, secrets: [externalId] });
    }
  };

  return async () => {
    if (cached && cached.expiration.getTime() - REFRESH_MARGIN_MS > now()) return cached;
    pending ??= assume().finally(() => {
      pending = undefined;
    });
    cached = await pending;
    return cached;
  };
}
