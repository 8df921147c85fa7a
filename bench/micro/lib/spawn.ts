// The benchmarks start their worker threads exactly as native-free-shm's tests do (tsx bootstrap).
export { nextMessage, spawnTsWorker } from '../../../native-free-shm/test/fixtures/spawn.js';
