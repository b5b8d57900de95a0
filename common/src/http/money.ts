/**
 * Prices travel as dollars (12.5; the rule is the contract's `priceSchema`) and are stored as
 * integer cents (1250).
 */
export const toCents = (dollars: number) => Math.round(dollars * 100);
export const toDollars = (cents: number) => cents / 100;
