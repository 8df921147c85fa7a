/**
 * Log messages that say a process without a port is ready. A child's own log is the one channel `up` shares
 * with it that survives either side restarting; `up` waits for this line (src/launcher/probe.ts loggedReady).
 */
export const ORDER_WORKER_READY = 'carrying orders from Redis to PostgreSQL';
