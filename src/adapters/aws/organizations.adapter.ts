/**
 * `OrganizationsPort` over the AWS SDK v3 `OrganizationsClient` of one payer.
 * Each method sends one command per page with the caller's `AbortSignal`; the
 * client's own retry strategy and the shared call limiter are configured by
 * `AwsOrganizationsFactory`. Every failure leaves as a `ConnectorError`.
 */
import {
  CreateAccountCommand,
  CreateOrganizationalUnitCommand,
  DescribeAccountCommand,
  DescribeCreateAccountStatusCommand,
  DescribeHandshakeCommand,
  DescribeOrganizationCommand,
  DescribeResponsibilityTransferCommand,
  InviteAccountToOrganizationCommand,
  InviteOrganizationToTransferResponsibilityCommand,
  ListInboundResponsibilityTransfersCommand,
  TerminateResponsibilityTransferCommand,
  type ResponsibilityTransfer as SdkTransfer,
  ListAccountsCommand,
  ListCreateAccountStatusCommand,
  ListHandshakesForOrganizationCommand,
  ListOrganizationalUnitsForParentCommand,
  ListParentsCommand,
  ListRootsCommand,
  MoveAccountCommand,
  type Account,
  type CreateAccountStatus as SdkCreateAccountStatus,
  type Handshake as SdkHandshake,
  type OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { ConnectorError } from '../../domain/errors.js';
import type {
  CreateAccountStatus,
  Handshake,
  HandshakeState,
  OrganizationsPort,
  OrgAccount,
  ResponsibilityTransfer,
  ResponsibilityTransfersPort,
  TransferInvitation,
} from '../../app/orders/ports.js';
import { translateAwsError } from './aws-errors.js';

const CREATE_STATES: ReadonlySet<string> = new Set(['IN_PROGRESS', 'SUCCEEDED', 'FAILED']);
const HANDSHAKE_STATES: ReadonlySet<string> = new Set(['REQUESTED', 'OPEN', 'CANCELED', 'ACCEPTED', 'DECLINED', 'EXPIRED']);

/** Anything with the client's `send(command, { abortSignal })`. */
type Sender = Pick<OrganizationsClient, 'send'>;

/** The AWS Organizations of one payer. Build through `AwsOrganizationsFactory`. */
export class AwsOrganizations implements OrganizationsPort, ResponsibilityTransfersPort {
  /**
   * @param client an `OrganizationsClient` for the payer (global endpoint, `us-east-1`)
   * @param payerAccountId the payer's account id, named in every error
   */
  constructor(
    private readonly client: Sender,
    private readonly payerAccountId: string,
  ) {}

  async describeOrganization(signal: AbortSignal): Promise<{ id: string; managementAccountId: string }> {
    const out = await this.call('DescribeOrganization', signal, (abortSignal) => this.client.send(new DescribeOrganizationCommand({}), { abortSignal }));
    return {
      id: this.required(out.Organization?.Id, 'DescribeOrganization', 'no organization id'),
      managementAccountId: this.required(out.Organization?.MasterAccountId, 'DescribeOrganization', 'no management account id'),
    };
  }

  async listAccounts(signal: AbortSignal): Promise<OrgAccount[]> {
    const accounts: OrgAccount[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.call('ListAccounts', signal, (abortSignal) =>
        this.client.send(new ListAccountsCommand({ NextToken: nextToken, MaxResults: 20 }), { abortSignal }),
      );
      for (const a of page.Accounts ?? []) accounts.push(this.toAccount(a, 'ListAccounts'));
      nextToken = page.NextToken;
    } while (nextToken);
    return accounts;
  }

  async describeAccount(accountId: string, signal: AbortSignal): Promise<OrgAccount | undefined> {
    try {
      const out = await this.client.send(new DescribeAccountCommand({ AccountId: accountId }), { abortSignal: signal });
      return out.Account ? this.toAccount(out.Account, 'DescribeAccount') : undefined;
    } catch (error) {
      if (!signal.aborted && (error as { name?: unknown }).name === 'AccountNotFoundException') return undefined;
      throw this.translate(error, 'DescribeAccount', signal);
    }
  }

  async createAccount(input: { email: string; name: string }, signal: AbortSignal): Promise<CreateAccountStatus> {
    const out = await this.call('CreateAccount', signal, (abortSignal) =>
      this.client.send(new CreateAccountCommand({ Email: input.email, AccountName: input.name }), { abortSignal }),
    );
    return this.toCreateStatus(out.CreateAccountStatus, 'CreateAccount');
  }

  async describeCreateAccountStatus(createAccountStatusId: string, signal: AbortSignal): Promise<CreateAccountStatus> {
    const out = await this.call('DescribeCreateAccountStatus', signal, (abortSignal) =>
      this.client.send(new DescribeCreateAccountStatusCommand({ CreateAccountRequestId: createAccountStatusId }), {
        abortSignal,
      }),
    );
    return this.toCreateStatus(out.CreateAccountStatus, 'DescribeCreateAccountStatus');
  }

  async listCreateAccountStatuses(state: CreateAccountStatus['state'], signal: AbortSignal): Promise<CreateAccountStatus[]> {
    const statuses: CreateAccountStatus[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.call('ListCreateAccountStatus', signal, (abortSignal) =>
        this.client.send(new ListCreateAccountStatusCommand({ States: [state], NextToken: nextToken, MaxResults: 20 }), { abortSignal }),
      );
      for (const s of page.CreateAccountStatuses ?? []) statuses.push(this.toCreateStatus(s, 'ListCreateAccountStatus'));
      nextToken = page.NextToken;
    } while (nextToken);
    return statuses;
  }

  async listOpenInvitations(signal: AbortSignal): Promise<Array<Handshake & { accountId: string; requestedAt?: string }>> {
    const open: Array<Handshake & { accountId: string; requestedAt?: string }> = [];
    let nextToken: string | undefined;
    do {
      const page = await this.call('ListHandshakesForOrganization', signal, (abortSignal) =>
        this.client.send(new ListHandshakesForOrganizationCommand({ Filter: { ActionType: 'INVITE' }, NextToken: nextToken, MaxResults: 20 }), { abortSignal }),
      );
      for (const h of page.Handshakes ?? []) {
        if (h.State !== 'OPEN' && h.State !== 'REQUESTED') continue;
        const accountId = (h.Parties ?? []).find((p) => p.Type === 'ACCOUNT')?.Id;
        if (accountId) open.push({ ...this.toHandshake(h, 'ListHandshakesForOrganization'), accountId, ...(h.RequestedTimestamp ? { requestedAt: h.RequestedTimestamp.toISOString() } : {}) });
      }
      nextToken = page.NextToken;
    } while (nextToken);
    return open;
  }

  async inviteAccount(accountId: string, signal: AbortSignal): Promise<Handshake> {
    const out = await this.call('InviteAccountToOrganization', signal, (abortSignal) =>
      this.client.send(new InviteAccountToOrganizationCommand({ Target: { Type: 'ACCOUNT', Id: accountId } }), {
        abortSignal,
      }),
    );
    return this.toHandshake(out.Handshake, 'InviteAccountToOrganization');
  }

  async describeHandshake(handshakeId: string, signal: AbortSignal): Promise<Handshake> {
    const out = await this.call('DescribeHandshake', signal, (abortSignal) =>
      this.client.send(new DescribeHandshakeCommand({ HandshakeId: handshakeId }), { abortSignal }),
    );
    return this.toHandshake(out.Handshake, 'DescribeHandshake');
  }

  async parentOf(accountId: string, signal: AbortSignal): Promise<string> {
    const out = await this.call('ListParents', signal, (abortSignal) =>
      this.client.send(new ListParentsCommand({ ChildId: accountId }), { abortSignal }),
    );
    return this.required(out.Parents?.[0]?.Id, 'ListParents', `no parent for account ${accountId}`);
  }

  /**
   * Done when AWS answers DuplicateAccountException ("already present in the
   * specified destination"): a retried move whose first answer was lost, or a
   * move another pass made. Either way the account is where it was asked to be.
   */
  async moveAccount(accountId: string, sourceParentId: string, destinationParentId: string, signal: AbortSignal): Promise<void> {
    try {
      await this.client.send(new MoveAccountCommand({ AccountId: accountId, SourceParentId: sourceParentId, DestinationParentId: destinationParentId }), { abortSignal: signal });
    } catch (error) {
      if (!signal.aborted && (error as { name?: unknown }).name === 'DuplicateAccountException') return;
      throw this.translate(error, 'MoveAccount', signal);
    }
  }

  /** An organization's root never changes: asked once per client (concurrent callers share the one call). */
  private root: Promise<string> | undefined;

  rootId(signal: AbortSignal): Promise<string> {
    if (this.root === undefined) {
      this.root = this.call('ListRoots', signal, (abortSignal) => this.client.send(new ListRootsCommand({}), { abortSignal })).then((out) =>
        this.required(out.Roots?.[0]?.Id, 'ListRoots', 'no root'),
      );
      this.root.catch(() => (this.root = undefined));
    }
    return this.root;
  }

  async findOrganizationalUnit(parentId: string, name: string, signal: AbortSignal): Promise<string | undefined> {
    let nextToken: string | undefined;
    do {
      const page = await this.call('ListOrganizationalUnitsForParent', signal, (abortSignal) =>
        this.client.send(new ListOrganizationalUnitsForParentCommand({ ParentId: parentId, NextToken: nextToken }), {
          abortSignal,
        }),
      );
      const match = (page.OrganizationalUnits ?? []).find((ou) => ou.Name === name && ou.Id);
      if (match?.Id) return match.Id;
      nextToken = page.NextToken;
    } while (nextToken);
    return undefined;
  }

  /** Creates the OU; when one of this name already exists (a lost answer, a race), returns that one. */
  async createOrganizationalUnit(parentId: string, name: string, signal: AbortSignal): Promise<string> {
    try {
      const out = await this.client.send(new CreateOrganizationalUnitCommand({ ParentId: parentId, Name: name }), {
        abortSignal: signal,
      });
      return this.required(out.OrganizationalUnit?.Id, 'CreateOrganizationalUnit', 'no OU id');
    } catch (error) {
      if (signal.aborted || (error as { name?: unknown }).name !== 'DuplicateOrganizationalUnitException') {
        throw this.translate(error, 'CreateOrganizationalUnit', signal);
      }
    }
    const existing = await this.findOrganizationalUnit(parentId, name, signal);
    if (existing !== undefined) return existing;
    throw new ConnectorError(
      'AWS_CALL',
      `AWS CreateOrganizationalUnit for payer ${this.payerAccountId}: OU "${name}" under ${parentId} is said to exist but is not listed yet`,
      { where: { payer: this.payerAccountId }, retryable: true },
    );
  }

  async inviteToTransferBilling(input: { target: { type: 'ACCOUNT' | 'EMAIL'; id: string }; startAt: Date; sourceName: string }, signal: AbortSignal): Promise<TransferInvitation> {
    const out = await this.call('InviteOrganizationToTransferResponsibility', signal, (abortSignal) =>
      this.client.send(
        new InviteOrganizationToTransferResponsibilityCommand({ Type: 'BILLING', Target: { Type: input.target.type, Id: input.target.id }, StartTimestamp: input.startAt, SourceName: input.sourceName }),
        { abortSignal },
      ),
    );
    const handshake = this.toHandshake(out.Handshake, 'InviteOrganizationToTransferResponsibility');
    const transferId = (out.Handshake?.Resources ?? []).find((r) => r.Type === 'RESPONSIBILITY_TRANSFER')?.Value;
    return { handshakeId: handshake.id, state: handshake.state, ...(transferId ? { transferId } : {}) };
  }

  async listInboundTransfers(signal: AbortSignal): Promise<ResponsibilityTransfer[]> {
    const transfers: ResponsibilityTransfer[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.call('ListInboundResponsibilityTransfers', signal, (abortSignal) =>
        this.client.send(new ListInboundResponsibilityTransfersCommand({ Type: 'BILLING', NextToken: nextToken, MaxResults: 20 }), { abortSignal }),
      );
      for (const t of page.ResponsibilityTransfers ?? []) transfers.push(this.toTransfer(t, 'ListInboundResponsibilityTransfers'));
      nextToken = page.NextToken;
    } while (nextToken);
    return transfers;
  }

  async describeTransfer(transferId: string, signal: AbortSignal): Promise<ResponsibilityTransfer | undefined> {
    try {
      const out = await this.client.send(new DescribeResponsibilityTransferCommand({ Id: transferId }), { abortSignal: signal });
      return out.ResponsibilityTransfer ? this.toTransfer(out.ResponsibilityTransfer, 'DescribeResponsibilityTransfer') : undefined;
    } catch (error) {
      if (!signal.aborted && (error as { name?: unknown }).name === 'ResponsibilityTransferNotFoundException') return undefined;
      throw this.translate(error, 'DescribeResponsibilityTransfer', signal);
    }
  }

  /** Already WITHDRAWN (ResponsibilityTransferAlreadyInStatusException: a retried call whose answer was lost): described as it is. */
  async terminateTransfer(transferId: string, signal: AbortSignal): Promise<ResponsibilityTransfer> {
    try {
      const out = await this.client.send(new TerminateResponsibilityTransferCommand({ Id: transferId }), { abortSignal: signal });
      if (out.ResponsibilityTransfer) return this.toTransfer(out.ResponsibilityTransfer, 'TerminateResponsibilityTransfer');
    } catch (error) {
      if (signal.aborted || (error as { name?: unknown }).name !== 'ResponsibilityTransferAlreadyInStatusException') throw this.translate(error, 'TerminateResponsibilityTransfer', signal);
    }
    const now = await this.describeTransfer(transferId, signal);
    if (now) return now;
    throw new ConnectorError('AWS_NOT_FOUND', `AWS TerminateResponsibilityTransfer for payer ${this.payerAccountId}: transfer ${transferId} not found`, { where: { payer: this.payerAccountId, value: transferId } });
  }

  private toTransfer(t: SdkTransfer, operation: string): ResponsibilityTransfer {
    return {
      id: this.required(t.Id, operation, 'a transfer without Id'),
      name: t.Name ?? '',
      status: this.required(t.Status, operation, 'a transfer without Status'),
      ...(t.Source?.ManagementAccountId ? { sourceAccountId: t.Source.ManagementAccountId } : {}),
      ...(t.Source?.ManagementAccountEmail ? { sourceEmail: t.Source.ManagementAccountEmail } : {}),
      ...(t.StartTimestamp ? { startAt: t.StartTimestamp.toISOString() } : {}),
      ...(t.EndTimestamp ? { endAt: t.EndTimestamp.toISOString() } : {}),
      ...(t.ActiveHandshakeId ? { handshakeId: t.ActiveHandshakeId } : {}),
    };
  }

  /** Runs one SDK call, translating its failure. */
  private async call<T>(operation: string, signal: AbortSignal, send: (signal: AbortSignal) => Promise<T>): Promise<T> {
    try {
      return await send(signal);
    } catch (error) {
      throw this.translate(error, operation, signal);
    }
  }

  private translate(error: unknown, operation: string, signal: AbortSignal): ConnectorError {
    return translateAwsError(error, { operation, payerAccountId: this.payerAccountId, signal });
  }

  private required(value: string | undefined, operation: string, what: string): string {
    if (value) return value;
    throw new ConnectorError('AWS_CALL', `AWS ${operation} for payer ${this.payerAccountId} returned ${what}`, {
      where: { payer: this.payerAccountId },
    });
  }

  private toAccount(account: Account, operation: string): OrgAccount {
    const id = this.required(account.Id, operation, 'an account without Id');
    return {
      id,
      email: account.Email ?? '',
      name: account.Name ?? '',
      // `State` only: the `Status` field was retired on 2026-09-09 (AWS.md).
      state: account.State ?? '',
      ...(account.JoinedMethod ? { joinedMethod: account.JoinedMethod } : {}),
    };
  }

  private toCreateStatus(status: SdkCreateAccountStatus | undefined, operation: string): CreateAccountStatus {
    const id = this.required(status?.Id, operation, 'no CreateAccountStatus Id');
    const state = this.required(status?.State, operation, 'no CreateAccountStatus State');
    if (!CREATE_STATES.has(state)) {
      throw new ConnectorError('AWS_CALL', `AWS ${operation} for payer ${this.payerAccountId} returned unknown state ${state}`, {
        where: { payer: this.payerAccountId },
      });
    }
    return {
      id,
      state: state as CreateAccountStatus['state'],
      ...(status?.AccountName ? { accountName: status.AccountName } : {}),
      ...(status?.AccountId ? { accountId: status.AccountId } : {}),
      ...(status?.FailureReason ? { failureReason: status.FailureReason } : {}),
    };
  }

  private toHandshake(handshake: SdkHandshake | undefined, operation: string): Handshake {
    const id = this.required(handshake?.Id, operation, 'no Handshake Id');
    const state = this.required(handshake?.State, operation, 'no Handshake State');
    if (!HANDSHAKE_STATES.has(state)) {
      throw new ConnectorError('AWS_CALL', `AWS ${operation} for payer ${this.payerAccountId} returned unknown handshake state ${state}`, {
        where: { payer: this.payerAccountId },
      });
    }
    return { id, state: state as HandshakeState };
  }
}
