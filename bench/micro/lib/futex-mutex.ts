// Baseline (a): a futex-style mutex in a SharedArrayBuffer — Drepper, "Futexes Are Tricky", mutex 3,
// the shape glibc's lowlevellock uses. 0 = unlocked, 1 = locked, 2 = locked and maybe someone sleeps.
// The uncontended path is one compareExchange to lock and one sub to unlock (no syscall); only
// contention sleeps in Atomics.wait (futex wait) and only an unlock that saw 2 calls Atomics.notify.

export const kUnlocked = 0;
export const kLocked = 1;
export const kContended = 2;

export function lock(i32: Int32Array, index: number): void {
  let c = Atomics.compareExchange(i32, index, kUnlocked, kLocked);
  if (c === kUnlocked) return;
  // Mark contended before sleeping, so the holder's unlock knows it must wake someone.
  if (c !== kContended) c = Atomics.exchange(i32, index, kContended);
  while (c !== kUnlocked) {
    // Sleeps only if the word is still 2, so a wake between the exchange and the wait is not lost.
    Atomics.wait(i32, index, kContended);
    // Re-acquire as contended: we cannot know whether others still sleep, so assume they do.
    c = Atomics.exchange(i32, index, kContended);
  }
}

export function unlock(i32: Int32Array, index: number): void {
  // 1 -> 0 means nobody waited: done without a syscall. Otherwise (it was 2) release and wake one.
  if (Atomics.sub(i32, index, 1) !== kLocked) {
    Atomics.store(i32, index, kUnlocked);
    Atomics.notify(i32, index, 1);
  }
}

// The guarded counter used by the benchmark: lock word and units side by side, as a C struct would have
// them (one cache line, so the holder's counter update does not cost a second line transfer).
export const kLockIndex = 0;
export const kUnitsIndex = 1;
