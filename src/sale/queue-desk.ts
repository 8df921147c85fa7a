import { QueueTokens, type QueuePass, type QueueTicket } from '../auth/queue-tokens.js';
import { QueueBoard } from './queue-board.js';
import { QueueOrder } from './queue-order.js';
import type { JoinAsk, QueueJoin } from './queue-scripts.js';
import type { SaleInfo } from './types.js';

/** What a poll answers (GET /queue/{sale}/status), decided from the node's memory alone. */
export type QueueStatus =
  | { state: 'pre-queue'; place: null; opensAt: number; etaSeconds: number; pollSeconds: number }
  | { state: 'waiting' | 'sold-out'; place: number; position: number; ahead: number; etaSeconds: number | null; pollSeconds: number; token?: string }
  | { state: 'admitted'; place: number; pass: string; passExpiresAt: number; pollSeconds: number; token?: string }
  /** The pass ran out unused (`expired`), or the line reached the place while its buyer was away (`skipped`: joining again lines up at the back). */
  | { state: 'expired' | 'skipped'; place: number; pollSeconds: number }
  | { state: 'off' | 'closed'; pollSeconds: number };

/** Why a purchase in a sale with a waiting room was refused before it cost anything. */
export type PassRefusal = 'missing' | 'invalid' | 'other_buyer' | 'expired';

export type JoinAnswer =
  | { kind: 'joined'; token: string; place: number | null; opensAt: number }
  /** Without buyer authentication a name proves nothing: a second join says the place, not the token (that is the first join's). */
  | { kind: 'already'; place: number | null; opensAt: number }
  | Exclude<QueueJoin, { kind: 'joined' }>;

/** A buyer far from the front polls this often (s); near it (inside the window nodes report), NEAR_POLL_SECONDS. */
const FAR_POLL_SECONDS = 5;
const NEAR_POLL_SECONDS = 2;
/** Places the nodes report polls for, in seconds of admission (lua/queue-tick-6.lua's window is 20 s of its rate). */
const NEAR_SECONDS = 20;

/**
 * One uWS thread's side of the waiting rooms (DESIGN.md "Waiting room"): joins (one script each), polls and the
 * purchase pass check (no Redis: a signature and the sale's QueueBoard, src/sale/queue-board.ts). The tokens are
 * signed with the key every node shares; until the main thread has read it the queue answers 503.
 */
export class QueueDesk {
  private tokens: QueueTokens | null = null;
  private readonly boards = new WeakMap<SharedArrayBuffer, QueueBoard>();
  private readonly orders = new Map<string, QueueOrder>();

  constructor(
    private readonly joinScript: (saleId: string, ask: JoinAsk) => Promise<QueueJoin>,
    private readonly now: () => number = Date.now,
  ) {}

  /** The shared key arrived (or changed): tokens signed with another are refused from now on. */
  useSecret(secret: Buffer): void {
    this.tokens = new QueueTokens(secret);
  }

  get ready(): boolean {
    return this.tokens !== null;
  }

  boardOf(sale: SaleInfo): QueueBoard | null {
    if (sale.queue === null) return null;
    let board = this.boards.get(sale.queue);
    if (board === undefined) {
      board = new QueueBoard(sale.queue);
      this.boards.set(sale.queue, board);
    }
    return board;
  }

  /**
   * A join. `proven`: the buyer is a token's sub (buyer authentication), so a second join may hand the token back;
   * a named buyer in the demo gets it from the first join only (else anyone naming them would get their pass). A
   * buyer whose place the line skipped lines up again at the back.
   */
  async join(sale: SaleInfo, user: string, proven: boolean): Promise<JoinAnswer> {
    const tokens = this.requireTokens();
    let joined = await this.joinScript(sale.id, { user });
    if (joined.kind !== 'joined') return joined;
    let ticket = this.ticketOf(sale, user, joined);
    const board = this.boardOf(sale);
    const line = board?.read();
    if (ticket.place !== null && line !== undefined && ticket.place < line.served && !board!.wasAdmitted(ticket.place)) {
      joined = await this.joinScript(sale.id, { user, again: ticket.place });
      if (joined.kind !== 'joined') return joined;
      ticket = this.ticketOf(sale, user, joined);
    }
    if (!joined.fresh && !proven) return { kind: 'already', place: ticket.place, opensAt: joined.opensAt };
    return { kind: 'joined', token: tokens.ticket(ticket), place: ticket.place, opensAt: joined.opensAt };
  }

  private ticketOf(sale: SaleInfo, user: string, joined: Extract<QueueJoin, { kind: 'joined' }>): QueueTicket {
    const ticket: QueueTicket = { sale: sale.id, user, place: null, arrival: null, joinedAt: joined.joinedAt };
    if (!joined.preQueue) ticket.place = joined.pre + joined.arrival;
    else {
      ticket.arrival = joined.arrival;
      // After the opening the pre-queue's order is fixed: the token carries the place from then on.
      const board = this.boardOf(sale);
      const order = board === null ? null : this.orderOf(sale.id, board);
      if (order !== null && joined.arrival < order.n) ticket.place = order.placeOf(joined.arrival);
    }
    return ticket;
  }

  /** The sale of a token, read without the sale (a forged token costs no lookup); null when forged or no secret yet. */
  saleOfTicket(tokenText: string): string | null {
    return this.tokens?.readTicket(tokenText)?.sale ?? null;
  }

  /** A poll: null when the token is not one of this sale's (forged, another sale's, or no secret yet). */
  status(sale: SaleInfo, tokenText: string): QueueStatus | null {
    const tokens = this.tokens;
    const ticket = tokens === null ? null : tokens.readTicket(tokenText);
    if (tokens === null || ticket === null || ticket.sale !== sale.id) return null;
    const board = this.boardOf(sale);
    const line = board?.read();
    const now = this.now();
    if (sale.closesAt !== null && now >= sale.closesAt) return { state: 'closed', pollSeconds: FAR_POLL_SECONDS * 2 };
    if (board === null || line === undefined || !line.on) return { state: 'off', pollSeconds: FAR_POLL_SECONDS * 2 };
    let place = ticket.place;
    let token: string | undefined;
    if (place === null) {
      const order = this.orderOf(sale.id, board);
      if (order === null || ticket.arrival === null || ticket.arrival >= order.n) {
        const eta = Math.max(0, Math.ceil((line.opensAt - now) / 1000));
        return { state: 'pre-queue', place: null, opensAt: line.opensAt, etaSeconds: eta, pollSeconds: eta > 10 ? FAR_POLL_SECONDS : NEAR_POLL_SECONDS };
      }
      place = order.placeOf(ticket.arrival);
      token = tokens.ticket({ ...ticket, place });
    }
    if (place < line.served) {
      if (!board.wasAdmitted(place)) return { state: 'skipped', place, pollSeconds: FAR_POLL_SECONDS * 2 };
      const at = board.admittedAt(place) ?? now;
      const expiresAt = at + line.passSeconds * 1000;
      if (now >= expiresAt) return { state: 'expired', place, pollSeconds: FAR_POLL_SECONDS * 2 };
      if (!line.soldOut) {
        const pass = tokens.pass({ sale: sale.id, user: ticket.user, place, expiresAt, joinedAt: ticket.joinedAt });
        return { state: 'admitted', place, pass, passExpiresAt: expiresAt, pollSeconds: FAR_POLL_SECONDS * 2, ...(token === undefined ? {} : { token }) };
      }
    }
    board.markPolled(place);
    const ahead = Math.max(0, place - line.served);
    const etaSeconds = line.rate > 0 ? Math.ceil(ahead / line.rate) : null;
    const near = line.rate > 0 && ahead < line.rate * NEAR_SECONDS;
    return {
      state: line.soldOut ? 'sold-out' : 'waiting',
      place,
      position: ahead + 1,
      ahead,
      etaSeconds,
      pollSeconds: near || ahead < 256 ? NEAR_POLL_SECONDS : FAR_POLL_SECONDS,
      ...(token === undefined ? {} : { token }),
    };
  }

  /**
   * A purchase in a sale whose waiting room is on needs this buyer's unexpired pass for the sale. Accepted, the
   * purchase's key becomes the pass's place, so a second purchase with it replays the first order (single use).
   */
  admit(sale: SaleInfo, user: string, passText: string): { pass: QueuePass } | { refused: PassRefusal } | null {
    const board = this.boardOf(sale);
    if (board === null || !board.on) return null;
    if (passText === '') return { refused: 'missing' };
    const pass = this.tokens?.readPass(passText) ?? null;
    if (pass === null || pass.sale !== sale.id) return { refused: 'invalid' };
    if (pass.user !== user) return { refused: 'other_buyer' };
    if (this.now() >= pass.expiresAt) {
      board.passExpired();
      return { refused: 'expired' };
    }
    return { pass };
  }

  /** A pass bought a new order: counted, with the buyer's wait from joining to their turn. */
  bought(sale: SaleInfo, pass: QueuePass): void {
    const board = this.boardOf(sale);
    const line = board?.read();
    if (board === null || line === undefined) return;
    board.passUsed(Math.max(0, (pass.expiresAt - line.passSeconds * 1000 - pass.joinedAt) / 1000));
  }

  private orderOf(saleId: string, board: QueueBoard): QueueOrder | null {
    const line = board.read();
    if (!line.keyKnown) return null;
    const key = board.key();
    const cacheKey = `${saleId}\n${key}`;
    let order = this.orders.get(cacheKey);
    if (order === undefined || order.n !== line.pre) {
      order = new QueueOrder(key, line.pre);
      if (this.orders.size > 1000) this.orders.clear();
      this.orders.set(cacheKey, order);
    }
    return order;
  }

  private requireTokens(): QueueTokens {
    if (this.tokens === null) throw new Error('the queue key is not loaded yet');
    return this.tokens;
  }
}
