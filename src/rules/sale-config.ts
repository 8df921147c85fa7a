import {
  HOLD_SECONDS,
  PER_USER_LIMIT,
  SALE_ID,
  SALE_TIME_MS,
  SALE_TOTAL,
  checkInt,
  checkText,
  type IntRule,
} from './input-rules.js';
import { checkTrainConfig, seatCatalogue, type TrainConfig } from './train-config.js';
import { checkQueueConfig, checkQueueInput, type QueueConfig } from './queue-config.js';

/** A sale as an operator creates it. Times are ms since the epoch. */
export interface SaleConfig {
  id: string;
  total: number;
  perUserLimit: number;
  holdSeconds: number;
  anonymous: boolean;
  /** ms; absent = open at once. */
  opensAt?: number;
  /** ms; absent = never closes; else later than opensAt. */
  closesAt?: number;
  /**
   * A train sale (seats sold per segment of the route, src/rules/train-config.ts); absent = a counter sale. A
   * train's total is its seat-segments, seats x (stations - 1), computed here.
   */
  train?: TrainConfig;
  /** A waiting room (src/rules/queue-config.ts); absent = buyers buy without one. */
  queue?: QueueConfig;
}

/** What an operator may leave out. */
export const SALE_DEFAULTS = { perUserLimit: 1, holdSeconds: 900, anonymous: false } as const;

export type SaleField = keyof SaleConfig | 'kind';

/** A checked sale, or the first field at fault and what to send instead. */
export type SaleCheck = { ok: true; value: SaleConfig } | { ok: false; field: SaleField; problem: string };

/**
 * A complete SaleConfig as the engine takes it (times in ms). The one check behind the admin API, the CLI
 * and SaleEngine.createSale; lua/create-sale-1.lua checks the same ranges before it writes.
 */
export function checkSaleConfig(config: Partial<Record<SaleField, unknown>>): SaleCheck {
  const id = checkText(SALE_ID, config.id);
  if (!id.ok) return { ok: false, field: 'id', problem: id.problem };
  let train: TrainConfig | undefined;
  if (config.train !== undefined) {
    const checked = checkTrainConfig((config.train ?? {}));
    if (!checked.ok) return { ok: false, field: 'train', problem: `${checked.field}: ${checked.problem}` };
    train = checked.value;
    const seatSegments = seatCatalogue(train).length * (train.stations.length - 1);
    if (config.total !== undefined && config.total !== seatSegments) {
      return { ok: false, field: 'total', problem: `a train sale counts seat-segments (${seatSegments} here): leave total out` };
    }
    config = { ...config, total: seatSegments };
  }
  const ints: Array<[SaleField, IntRule]> = [
    ['total', SALE_TOTAL],
    ['perUserLimit', PER_USER_LIMIT],
    ['holdSeconds', HOLD_SECONDS],
  ];
  for (const [field, rule] of ints) {
    if (config[field] === undefined) return { ok: false, field, problem: `required: ${describeRange(rule)}` };
    const checked = checkInt(rule, config[field]);
    if (!checked.ok) return { ok: false, field, problem: checked.problem };
  }
  if (typeof config.anonymous !== 'boolean') return { ok: false, field: 'anonymous', problem: 'send true or false' };
  for (const field of ['opensAt', 'closesAt'] as const) {
    if (config[field] === undefined) continue;
    const checked = checkInt(SALE_TIME_MS, config[field]);
    if (!checked.ok) return { ok: false, field, problem: `${checked.problem} (ms since the epoch)` };
  }
  const opensAt = config.opensAt as number | undefined;
  const closesAt = config.closesAt as number | undefined;
  if (closesAt !== undefined && closesAt !== 0 && closesAt <= (opensAt ?? 0)) {
    return { ok: false, field: 'closesAt', problem: 'must be later than opensAt' };
  }
  const value: SaleConfig = {
    id: id.value,
    total: config.total as number,
    perUserLimit: config.perUserLimit as number,
    holdSeconds: config.holdSeconds as number,
    anonymous: config.anonymous,
  };
  if (opensAt !== undefined && opensAt !== 0) value.opensAt = opensAt;
  if (closesAt !== undefined && closesAt !== 0) value.closesAt = closesAt;
  if (train !== undefined) value.train = train;
  if (config.queue !== undefined) {
    const queue = checkQueueConfig((config.queue ?? {}));
    if (!queue.ok) return { ok: false, field: 'queue', problem: queue.problem };
    // A pass is bound to its buyer: an anonymous purchase has no one to bind it to.
    if (value.anonymous) return { ok: false, field: 'queue', problem: 'a sale with a waiting room names its buyers: send "anonymous": false' };
    if (closesAt !== undefined && closesAt !== 0 && queue.value.opensAt >= closesAt) return { ok: false, field: 'queue', problem: 'opensAt: must be before the sale closes' };
    // Admitted before the sale opens, a buyer's pass would expire on purchases answered "not open".
    if (opensAt !== undefined && opensAt !== 0 && queue.value.opensAt < opensAt) return { ok: false, field: 'queue', problem: 'opensAt: not before the sale opens (leave it out to open the line with the sale)' };
    value.queue = queue.value;
  }
  return { ok: true, value };
}

/**
 * What an operator sends (the admin API's JSON body, the CLI's flags): defaults filled in, times as ISO 8601
 * text. Checked field by field; the first problem names its field.
 */
export function checkSaleInput(fields: Record<string, unknown>): SaleCheck {
  const times: Partial<Record<'opensAt' | 'closesAt', number>> = {};
  for (const field of ['opensAt', 'closesAt'] as const) {
    const raw = fields[field];
    if (raw === undefined || raw === null) continue;
    if (typeof raw !== 'string' || !/^\d{4}-\d{2}-\d{2}T/.test(raw) || Number.isNaN(Date.parse(raw))) {
      return { ok: false, field, problem: 'send an ISO 8601 time like 2030-01-01T10:00:00Z' };
    }
    times[field] = Date.parse(raw);
  }
  const orDefault = (field: 'perUserLimit' | 'holdSeconds' | 'anonymous') =>
    fields[field] === undefined || fields[field] === null ? SALE_DEFAULTS[field] : fields[field];
  const kind = fields['kind'] ?? 'counter';
  if (kind !== 'counter' && kind !== 'train') return { ok: false, field: 'kind', problem: 'send "counter" (the default) or "train"' };
  const train = kind === 'train' ? { train: { stations: fields['stations'], coaches: fields['coaches'], date: fields['date'] ?? undefined } } : {};
  let queue = {};
  if (fields['queue'] !== undefined && fields['queue'] !== null) {
    const checked = checkQueueInput(fields['queue'], times.opensAt, Date.now());
    if (!checked.ok) return { ok: false, field: 'queue', problem: checked.problem };
    queue = { queue: checked.value };
  }
  return checkSaleConfig({
    id: fields['id'],
    total: fields['total'] ?? undefined,
    perUserLimit: orDefault('perUserLimit'),
    holdSeconds: orDefault('holdSeconds'),
    anonymous: orDefault('anonymous'),
    ...times,
    ...train,
    ...queue,
  });
}

function describeRange(rule: IntRule): string {
  return `send a whole number from ${rule.min} to ${rule.max}`;
}
