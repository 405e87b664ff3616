export type { BrokerLoginOptions, BrokerLoginStart, BrokerStartOptions } from "./broker/broker-login.js";
export { BrokerLogin, BrokerLoginExpiredError } from "./broker/broker-login.js";
export type { MonzoClientOptions } from "./client.js";
export { MonzoClient } from "./client.js";
export type { MonzoErrorBody } from "./errors/api-error.js";
export {
  ApprovalRequiredError,
  AuthenticationError,
  BadRequestError,
  errorFromResponse,
  HistoryWindowError,
  MonzoApiError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  ServerError,
  TokenEvictedError,
  TokenExpiredError,
} from "./errors/api-error.js";
export {
  AbortError,
  AccessDeniedError,
  ConnectionError,
  InvalidArgumentError,
  InvalidCallbackError,
  OAuthError,
  OutcomeUnknownError,
  ReauthenticationRequiredError,
  RedirectRefusedError,
  StateMismatchError,
  TimeoutError,
} from "./errors/client-errors.js";
export { MonzoError } from "./errors/monzo-error.js";
export { redact, redactValue, registerSecret } from "./errors/redact.js";
export type { HistoryProgress } from "./history/walk.js";
export type * from "./models/ids.js";
export type { Money } from "./models/money.js";
export {
  currencyExponent,
  formatMoney,
  InvalidAmountError,
  parseAmount,
  toDecimalString,
} from "./models/money.js";
export type {
  Account,
  Attachment,
  Balance,
  Merchant,
  Pot,
  Receipt,
  TokenResponse,
  Transaction,
  Webhook,
  WhoAmI,
} from "./models/schemas.js";
export { InvalidResponseError } from "./models/schemas.js";
export type { AuthorizationUrlOptions, ValidatedCallback } from "./oauth/authorize.js";
export {
  authorizationUrl,
  authorizationUrlBuilder,
  constantTimeEqual,
  isValidatedCallback,
  randomState,
  validateCallback,
} from "./oauth/authorize.js";
export type { ClientCredentials, EndpointOptions } from "./oauth/token-endpoint.js";
export { exchangeCode, logout, monzoRefresh, refreshTokens } from "./oauth/token-endpoint.js";
export { checkBaseUrl, isLoopbackUrl, MONZO_API_URL, MONZO_AUTH_URL } from "./oauth/urls.js";
export type { Page, PageFetcher } from "./pagination.js";
export { PagePromise } from "./pagination.js";
export type { FeedItemParams } from "./resources/feed.js";
export type { PotMoveParams } from "./resources/pots.js";
export type { ReceiptInput, ReceiptItem } from "./resources/receipts.js";
export type { HistoryParams, ListTransactionsParams } from "./resources/transactions.js";
export type { WaitForApprovalOptions } from "./tokens/approval.js";
export { ApprovalDeclinedError, ApprovalTimeoutError, waitForApproval } from "./tokens/approval.js";
export type { RefreshFunction, TokenManagerOptions } from "./tokens/manager.js";
export { isRefreshNotSent, refreshNotSent, TokenManager } from "./tokens/manager.js";
export type { TokenStore, TokenStoreCallbacks } from "./tokens/store.js";
export { CallbackTokenStore, MemoryTokenStore } from "./tokens/store.js";
export type { TokenSet } from "./tokens/token-set.js";
export { expiresSoon } from "./tokens/token-set.js";
export { backoffDelay, isRetryableStatus, parseRetryAfter } from "./transport/retry.js";
export type {
  AccessTokenProvider,
  CallOptions,
  RequestSpec,
  TransportConfig,
  TransportResponse,
} from "./transport/transport.js";
export { formEncode, Transport } from "./transport/transport.js";
export type {
  TransactionCreatedEvent,
  UnknownWebhookEvent,
  WebhookEvent,
} from "./webhooks/event.js";
export { InvalidWebhookEventError, parseWebhookEvent } from "./webhooks/event.js";
export type {
  WebhookDelivery,
  WebhookHandler,
  WebhookHandlerOptions,
  WebhookRefusal,
} from "./webhooks/handler.js";
export { createWebhookHandler } from "./webhooks/handler.js";
export { checkWebhookSecret, createWebhookSecret, webhookPath } from "./webhooks/secret.js";
