import type { Context } from "hono";
import type { AccountRecord } from "../data/bank.js";
import { badParam, MonzoHttpError, missingParam } from "../http/errors.js";
import { requestHeader } from "../http/headers.js";
import type { Grant } from "../oauth/authority.js";
import type { EmulatorState } from "../state.js";
import { ID_PATTERN } from "../util/ids.js";

/** The caller's login, whatever its approval state (for whoami and logout). */
export function authenticated(c: Context, state: EmulatorState): Grant {
  return state.authority.authenticate(requestHeader(c, "authorization")).grant;
}

/**
 * The caller's login, which must have been approved in the app: until then every data endpoint answers
 * `403 forbidden.insufficient_permissions` with the client and user (REFERENCE §2.11, §13.11).
 */
export function approved(c: Context, state: EmulatorState): Grant {
  const grant = authenticated(c, state);
  if (grant.approval !== "approved") throw insufficientPermissions(grant);
  return grant;
}

export function insufficientPermissions(grant: Grant): MonzoHttpError {
  return new MonzoHttpError(
    "forbidden.insufficient_permissions",
    "Access forbidden due to insufficient permissions",
    {
      params: { client_id: grant.clientId, user_id: grant.userId },
    },
  );
}

/** A required parameter that must be an id of the given prefix. */
export function requireId(value: string | undefined, field: string, prefix: string): string {
  if (value === undefined || value === "") throw missingParam(field);
  if (!ID_PATTERN.test(value) || !value.startsWith(`${prefix}_`)) {
    throw badParam(field, `The field '${field}' is not a valid ${prefix} id`);
  }
  return value;
}

/** An account the caller owns or co-owns; anyone else's answers as configured (REFERENCE §14). */
export function ownAccount(
  state: EmulatorState,
  grant: Grant,
  value: string | undefined,
  field = "account_id",
): AccountRecord {
  const id = requireId(value, field, "acc");
  const account = state.bank.accounts.get(id);
  if (!account?.ownerIds.includes(grant.userId)) {
    if (state.quirks.foreignAccount === "not_found")
      throw new MonzoHttpError("not_found.account", "Account not found");
    throw insufficientPermissions(grant);
  }
  return account;
}
