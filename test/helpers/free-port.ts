// Tests ask the kernel for free ports the same way `up` does (bind to 0, read it, release it).
export { anyFreePort as freePort } from '../../src/launcher/ports.js';
