import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** The last bytes of a log file: for crash reports, and for a child's readiness line. */
export function tailFile(file: string, bytes = 1500): string {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const size = fstatSync(fd).size;
    const length = Math.min(bytes, size);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    return buffer.toString('utf8').trim();
  } catch {
    return '';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
