/** Branded ids: a `PotId` cannot be passed where an `AccountId` is expected (STYLE practice 4). */
declare const brand: unique symbol;
export type Brand<T, B extends string> = T & { readonly [brand]: B };

export type UserId = Brand<string, "UserId">;
export type AccountId = Brand<string, "AccountId">;
export type PotId = Brand<string, "PotId">;
export type TransactionId = Brand<string, "TransactionId">;
export type MerchantId = Brand<string, "MerchantId">;
export type WebhookId = Brand<string, "WebhookId">;
export type AttachmentId = Brand<string, "AttachmentId">;
export type ClientId = Brand<string, "ClientId">;
