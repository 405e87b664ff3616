/** Wire shapes the emulator serves (REFERENCE §4–§11). Fields are in Monzo's snake_case. */

export interface User {
  id: string;
  name: string;
  firstName: string;
  email: string;
}

export interface AccountJson {
  id: string;
  closed: boolean;
  created: string;
  description: string;
  type: string;
  owner_type: string;
  is_flex: boolean;
  product_type: string;
  closed_account_app_access: boolean;
  currency: string;
  legal_entity: string;
  country_code: string;
  country_code_alpha3: string;
  owners: { user_id: string; preferred_name: string; preferred_first_name: string }[];
  account_number?: string;
  sort_code?: string;
  payment_details?: unknown;
  monzo_branch_address_formatted?: string;
  assets?: { image_url: string };
}

/** How the account answers `/transactions` (REFERENCE §4, §13.26). */
export type LedgerKind = "transactions" | "empty" | "forbidden";

export interface PotJson {
  id: string;
  name: string;
  style: string;
  balance: number;
  currency: string;
  goal_amount?: number | null;
  type: string;
  product_id: string;
  current_account_id: string;
  cover_image_url: string;
  isa_wrapper: string;
  round_up: boolean;
  round_up_multiplier: number | null;
  is_tax_pot: boolean;
  created: string;
  updated: string;
  deleted: boolean;
  locked: boolean;
  /** Only on locked pots: `until_date` (S-wg-fixtures). */
  lock_type?: string;
  locked_until?: string;
  available_for_bills: boolean;
  has_virtual_cards: boolean;
  charity_id?: string | null;
}

export interface MerchantJson {
  id: string;
  group_id: string;
  created: string;
  name: string;
  logo: string;
  emoji: string;
  category: string;
  online: boolean;
  atm: boolean;
  address: {
    short_formatted: string;
    formatted: string;
    address: string;
    city: string;
    region: string;
    country: string;
    postcode: string;
    latitude: number;
    longitude: number;
    zoom_level: number;
    approximate: boolean;
  };
  updated: string;
  metadata: Record<string, string>;
  disable_feedback: boolean;
}

export interface AttachmentJson {
  id: string;
  user_id: string;
  external_id: string;
  file_url: string;
  file_type: string;
  created: string;
}

/** A participant of a shared tab (S-wg-fixtures). */
export interface TabParticipantJson {
  first_name: string;
  id: string;
  invited_at?: string;
  invited_by?: string;
  name: string;
  payment_status: string;
  settle_amount: number;
  settle_currency: string;
  status: string;
  tab_id: string;
  total_amount: number;
  total_currency: string;
  user_id: string;
}

/** A shared tab, carried whole by every transaction in it (REFERENCE §7.1 `tab`; S-wg-fixtures). */
export interface TabJson {
  closed_at?: string;
  closed_by?: string;
  created_by: string;
  currency: string;
  id: string;
  item_count: number;
  left_participants: TabParticipantJson[];
  modified_at: string;
  name: string;
  opened_at: string;
  participants: TabParticipantJson[];
  status: string;
  total: number;
}

export interface TransactionJson {
  id: string;
  created: string;
  updated: string;
  description: string;
  amount: number;
  fees: Record<string, unknown>;
  currency: string;
  merchant: string | null;
  merchant_feedback_uri?: string;
  notes: string;
  metadata: Record<string, string>;
  labels: string[] | null;
  attachments: AttachmentJson[] | null;
  international: Record<string, unknown> | null;
  category: string;
  categories: Record<string, number> | null;
  is_load: boolean;
  settled: string;
  local_amount: number;
  local_currency: string;
  account_id: string;
  user_id: string;
  counterparty: Record<string, string>;
  scheme: string;
  dedupe_id: string;
  originator: boolean;
  include_in_spending: boolean;
  can_be_excluded_from_breakdown: boolean;
  can_be_made_subscription: boolean;
  can_split_the_bill: boolean;
  can_add_to_tab: boolean;
  can_match_transactions_in_categorization: boolean;
  amount_is_pending: boolean;
  atm_fees_detailed: Record<string, unknown> | null;
  parent_account_id: string;
  decline_reason?: string;
  tab?: TabJson;
}

export type { TransactionRecord } from "./record.js";
