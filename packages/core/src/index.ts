export { MonzoError } from "./errors/monzo-error.js";
export type { Money } from "./models/money.js";
export {
  currencyExponent,
  formatMoney,
  InvalidAmountError,
  parseAmount,
  toDecimalString,
} from "./models/money.js";
