import { closeSync, constants, fchmodSync, fstatSync, ftruncateSync, lstatSync, openSync } from 'node:fs';

/**
 * Files the product writes that hold customers (rejects beside a loaded export, the churn feature
 * export, a subject access export) often land in folders other people can write to: a shared
 * import folder, a team's export folder. A name there can be planted in advance as a symbolic or
 * hard link to a file of the writing user's (`.data/secrets.json`, `~/.bashrc`), and `open(path,
 * 'w')` follows it and truncates before any check (ninth security review). These two functions
 * write to, or treat as ours, only a plain file of this user with one name.
 */

/** Whether `path` (not followed) is a plain file of this user with no other name. */
export function isOwnPlainFile(path: string): boolean {
  const st = lstatSync(path, { throwIfNoEntry: false });
  const uid = process.getuid?.();
  return st !== undefined && st.isFile() && st.nlink === 1 && (uid === undefined || st.uid === uid);
}

/**
 * Opens `path` for writing, emptied and 0600, created if missing; refuses a link, anything but a
 * plain file, or another user's file, before a byte of it is touched. `what` names the file in the
 * refusal ("the rejects file"). `shareable`: a file without customers (a mapping draft) is created
 * with the umask's usual mode and an existing one keeps its mode. Returns the file descriptor.
 */
export function openOwnFileForWriting(path: string, what: string, { shareable = false }: { shareable?: boolean } = {}): number {
  let fd: number;
  try {
    // No O_TRUNC: nothing is emptied before the checks. O_NONBLOCK: a FIFO at the name fails at once.
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK, shareable ? 0o666 : 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') throw refused(path, what, 'is a symbolic link', err);
    throw err;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw refused(path, what, 'is not a plain file');
    // Compared, not inferred from fchmod failing: fchmod never fails for root (containers).
    const uid = process.getuid?.();
    if (uid !== undefined && st.uid !== uid) throw refused(path, what, 'belongs to another user');
    if (st.nlink > 1) throw refused(path, what, 'has other names (a hard link)');
    if (!shareable) fchmodSync(fd, 0o600);
    ftruncateSync(fd, 0);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  return fd;
}

function refused(path: string, what: string, why: string, cause?: unknown): Error {
  return new Error(`${what} ${path} ${why}; nothing was written to it: remove it or write to a folder of your own`, { cause });
}
