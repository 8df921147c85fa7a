import type { StockCounters } from 'native-free-shm';
import type { Inventory } from './inventory.js';
import { SeatBoard } from './seat-board.js';
import type { Trip } from './trip.js';
import type { SaleFacts, SaleInfo, SeatBoardUpdate } from './types.js';

/**
 * A train sale's local view: the node's copy of its seat board (src/sale/seat-board.ts), filled by every batch
 * reply the node's threads get and by the main thread's status reads. A purchase is answered "sold out" here only
 * when the board says fewer seats of its class are free on every segment of its trip than it has passengers
 * (Redis seats a group only when it has a seat for each); anything else goes to Redis, which picks the seats.
 * No local quota: a seat is not a unit a node can hold for a while (which seat fits depends on the trip), so
 * take() hands out none and every train purchase is decided in a batch. The sale-wide sold-out flag (every
 * seat-segment taken) is kept as for a counter.
 */
export class TrainInventory implements Inventory {
  /** Boards attached per sale on this thread (a SharedArrayBuffer wrapped once). */
  private readonly boards = new WeakMap<SharedArrayBuffer, SeatBoard>();

  constructor(private readonly stock: StockCounters) {}

  board(sale: SaleInfo): SeatBoard {
    const buffer = sale.train!.board;
    let board = this.boards.get(buffer);
    if (board === undefined) {
      board = SeatBoard.attach(buffer);
      this.boards.set(buffer, board);
    }
    return board;
  }

  soldOut(sale: SaleInfo, trip: Trip | undefined): boolean {
    if (this.stock.isSoldOut(sale.slot)) return true;
    if (trip === undefined) return false;
    const c = sale.train!.classes.indexOf(trip.class);
    const board = this.board(sale);
    // Version 0: nothing read yet — never "sold out" from an empty board.
    if (c < 0 || board.version() === 0 || trip.to > board.segments) return false;
    const left = board.left(c, trip.from, trip.to);
    return left !== null && left < trip.passengers;
  }

  take(): boolean {
    return false;
  }

  settle(): void {}

  applyReply(sale: SaleInfo, reply: { remaining: number; board?: SeatBoardUpdate }): boolean {
    if (reply.board !== undefined) this.apply(sale, reply.board);
    if (reply.remaining > 0 || this.stock.isSoldOut(sale.slot)) return false;
    this.stock.setSoldOut(sale.slot, true);
    return true;
  }

  applyFacts(sale: SaleInfo, facts: SaleFacts): void {
    if (facts.board !== undefined) this.apply(sale, facts.board);
    if (this.stock.available(sale.slot) !== 0) this.stock.setQuota(sale.slot, 0);
    this.stock.setSoldOut(sale.slot, facts.remaining <= 0);
  }

  forgetSoldOut(sale: SaleInfo): void {
    this.stock.setSoldOut(sale.slot, false);
    // The board was read from the old master too: version 0 answers nothing from memory until the new one is read.
    SeatBoard.attach(sale.train!.board).forget();
  }

  reset(slot: number): void {
    this.stock.setSoldOut(slot, false);
    this.stock.setQuota(slot, 0);
  }

  private apply(sale: SaleInfo, update: SeatBoardUpdate): void {
    const classes = sale.train!.classes;
    this.board(sale).apply(update, (name) => classes.indexOf(name));
  }
}
