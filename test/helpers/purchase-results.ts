import type { PurchaseResult, PurchaseSuccess } from '../../src/sale/types.js';

/** The order id of a purchase the test expects to have succeeded; any other outcome fails the test loudly. */
export function orderIdOf(result: PurchaseResult): string {
  if (!('orderId' in result)) throw new Error(`expected a successful purchase, got ${JSON.stringify(result)}`);
  return result.orderId;
}

/** A result with every success field optional, for comparing whole lists of results in one assertion. */
export function fieldsOf(result: PurchaseResult): Omit<Partial<PurchaseSuccess>, 'outcome'> & { outcome: PurchaseResult['outcome']; otherSale?: string; code?: number } {
  return result;
}
