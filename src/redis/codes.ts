/**
 * Result and error codes of the Lua scripts (lua/includes/common.lua holds the same table; keep both in
 * step) and the one place that maps a negative code to an EngineError.
 */

/** Every code a script returns. */
export enum ScriptCode {
  Ok = 1,
  Exists = 2,
  SoldOut = -1,
  LimitReached = -2,
  NotOpen = -3,
  IdempotencyMismatch = -4,
  UnknownSale = -5,
  AnonymousNotAllowed = -6,
  OrderNotFound = -7,
  HoldExpired = -8,
  OrderCancelled = -9,
  OrderPaid = -10,
  InvalidArgument = -11,
  BatchTooLarge = -12,
  InvalidSale = -13,
  BatchIdConflict = -14,
  RegistryFull = -15,
  RegistryCapacity = -16,
  SaleClosed = -17,
  StockFloor = -18,
  AlreadyCheckedIn = -19,
  OrderNotPaid = -20,
}

/** Per-purchase outcome of reserve-batch: the script codes a purchase can end with. The values of Success,
 *  SoldOut, LimitReached and NotOpen are the HTTP API's business `code` (docs/architecture.md). */
export enum Outcome {
  Success = ScriptCode.Ok,
  SoldOut = ScriptCode.SoldOut,
  LimitReached = ScriptCode.LimitReached,
  NotOpen = ScriptCode.NotOpen,
  IdempotencyMismatch = ScriptCode.IdempotencyMismatch,
  UnknownSale = ScriptCode.UnknownSale,
  AnonymousNotAllowed = ScriptCode.AnonymousNotAllowed,
}

export type EngineErrorCode =
  | 'ERR_INVALID_SALE'
  | 'ERR_INVALID_ARGUMENT'
  | 'ERR_BATCH_TOO_LARGE'
  | 'ERR_BATCH_ID_CONFLICT'
  | 'ERR_UNKNOWN_SALE'
  | 'ERR_UNEXPECTED_REPLY'
  | 'ORDER_NOT_FOUND'
  | 'HOLD_EXPIRED'
  | 'ORDER_CANCELLED'
  | 'ORDER_PAID'
  | 'ERR_SOLD_OUT'
  | 'ERR_LIMIT_REACHED'
  | 'ERR_NOT_OPEN'
  | 'ERR_IDEMPOTENCY_MISMATCH'
  | 'ERR_ANONYMOUS_NOT_ALLOWED'
  | 'ERR_REGISTRY_FULL'
  | 'ERR_REGISTRY_CAPACITY'
  | 'ERR_SALE_CLOSED'
  | 'ERR_STOCK_FLOOR'
  | 'ALREADY_CHECKED_IN'
  | 'ORDER_NOT_PAID'
  /** The write ran on the master but did not reach enough replicas in time: its outcome is unknown (src/redis/confirmed-scripts.ts). */
  | 'ERR_NOT_REPLICATED'
  /** `sale restore` of a sale Redis has: nothing to restore (src/sale/restore.ts). */
  | 'ERR_SALE_EXISTS'
  /** A create of a sale Redis lost but PostgreSQL has: restore it instead (src/sale/fresh-create.ts). */
  | 'ERR_SALE_IN_STORE';

/** An error with a stable `code` and a message that says what to change. */
export class EngineError extends Error {
  override readonly name = 'EngineError';
  constructor(
    readonly code: EngineErrorCode,
    message: string,
    /** The argument or object at fault, when the script named one. */
    readonly detail?: string,
  ) {
    super(message);
  }
}

/**
 * The one switch from a negative script code to an error. `subject` names what the call was about
 * (e.g. "order G1.abc", "sale G1") and goes into the message.
 */
export function errorFromCode(code: number, detail: string, subject: string): EngineError {
  switch (code as ScriptCode) {
    case ScriptCode.InvalidSale:
      return new EngineError('ERR_INVALID_SALE', `${subject}: invalid ${detail}; see SaleConfig for the allowed range`, detail);
    case ScriptCode.InvalidArgument:
      return new EngineError('ERR_INVALID_ARGUMENT', `${subject}: invalid ${detail}`, detail);
    case ScriptCode.BatchTooLarge:
      return new EngineError('ERR_BATCH_TOO_LARGE', `${subject}: a batch holds at most ${detail} purchases; split it`, detail);
    case ScriptCode.BatchIdConflict:
      return new EngineError(
        'ERR_BATCH_ID_CONFLICT',
        `${subject}: batch id ${detail} was already used for other purchases; make batch ids with newBatchId()`,
        detail,
      );
    case ScriptCode.UnknownSale:
      return new EngineError('ERR_UNKNOWN_SALE', `${subject}: no such sale; create it first`, detail);
    case ScriptCode.OrderNotFound:
      return new EngineError('ORDER_NOT_FOUND', `${subject}: no such order; check the order id`, detail);
    case ScriptCode.HoldExpired:
      return new EngineError('HOLD_EXPIRED', `${subject}: the hold expired and its ticket went back on sale; buy again`);
    case ScriptCode.OrderCancelled:
      return new EngineError('ORDER_CANCELLED', `${subject}: the order was cancelled; buy again`);
    case ScriptCode.OrderPaid:
      return new EngineError('ORDER_PAID', `${subject}: the order is paid and cannot be cancelled`);
    case ScriptCode.SoldOut:
      return new EngineError('ERR_SOLD_OUT', `${subject}: sold out`);
    case ScriptCode.LimitReached:
      return new EngineError('ERR_LIMIT_REACHED', `${subject}: the user already holds the sale's per-user limit`);
    case ScriptCode.NotOpen:
      return new EngineError('ERR_NOT_OPEN', `${subject}: the sale is not open now; see its opensAt/closesAt`);
    case ScriptCode.IdempotencyMismatch:
      return new EngineError(
        'ERR_IDEMPOTENCY_MISMATCH',
        `${subject}: the idempotency key (or order id) was already used by another user; use a fresh key`,
      );
    case ScriptCode.AnonymousNotAllowed:
      return new EngineError(
        'ERR_ANONYMOUS_NOT_ALLOWED',
        `${subject}: this sale does not allow anonymous buyers; pass a user`,
      );
    case ScriptCode.RegistryFull:
      return new EngineError(
        'ERR_REGISTRY_FULL',
        `${subject}: the sale registry is full (${detail} live sales): wait for a sale to finish (closesAt passed), ` +
          'or restart every node with a higher --max-sales and raise the registry capacity (docs/architecture.md)',
        detail,
      );
    case ScriptCode.RegistryCapacity:
      return new EngineError(
        'ERR_REGISTRY_CAPACITY',
        `${subject}: the sale registry holds ${detail} live sales, more than this caller's --max-sales: ` +
          `start it with --max-sales ${detail} or more`,
        detail,
      );
    case ScriptCode.SaleClosed:
      return new EngineError(
        'ERR_SALE_CLOSED',
        `${subject}: the sale is closed (closesAt ${isoOf(detail)} has passed); a closed sale is not paused, resumed or restocked`,
        detail,
      );
    case ScriptCode.StockFloor:
      return new EngineError(
        'ERR_STOCK_FLOOR',
        `${subject}: the total cannot go below ${detail} (the seats held or paid, at least 1); remove fewer seats, or close the sale`,
        detail,
      );
    case ScriptCode.AlreadyCheckedIn:
      return new EngineError('ALREADY_CHECKED_IN', `${subject}: this ticket was already checked in (${detail}); one ticket admits one person`, detail);
    case ScriptCode.OrderNotPaid:
      return new EngineError('ORDER_NOT_PAID', `${subject}: the order is not paid (${detail}); only a paid order's ticket admits`, detail);
    case ScriptCode.Ok:
    case ScriptCode.Exists:
    default:
      // No error code (a caller's mistake), or one this version does not know (a newer script's).
      return new EngineError('ERR_UNEXPECTED_REPLY', `${subject}: unexpected script code ${code} (${detail})`, detail);
  }
}

/** A time in ms (as a script returns it) as ISO 8601, for messages. */
function isoOf(ms: string): string {
  const n = Number(ms);
  return Number.isFinite(n) && n > 0 ? new Date(n).toISOString() : ms;
}
