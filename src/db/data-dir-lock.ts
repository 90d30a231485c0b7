import fs from 'node:fs';
import path from 'node:path';

/**
 * The embedded database directory belongs to one process at a time.
 *
 * Why: PGlite is PostgreSQL in WASM without the postmaster's own lock; two processes opening the same
 * directory (a running `npm start` and a `npm run kb -- search`) corrupted it for good (issue #10:
 * every later open failed with `RuntimeError: Aborted()`). Like PostgreSQL's postmaster.pid, a lock
 * file names the holder; a second opener is refused with that pid, and a lock left by a process that
 * no longer exists (killed with SIGKILL, power cut) is taken over.
 */
export class DataDirBusyError extends Error {
  constructor(
    readonly dir: string,
    readonly holderPid: number,
    readonly holderCommand: string | null,
  ) {
    super(
      `The embedded database in ${dir} is in use by another process (pid ${holderPid}${holderCommand ? `: ${holderCommand}` : ''}). ` +
        `Stop that process first (e.g. kill -TERM ${holderPid}), use another DATA_DIR, or set DATABASE_URL to a PostgreSQL server. ` +
        `嵌入式数据库目录正被进程 ${holderPid} 使用，请先停止该进程。`,
    );
    this.name = 'DataDirBusyError';
  }
}

export interface DataDirLock {
  file: string;
  release(): void;
}

interface LockContent {
  pid: number;
  startedAt: string;
  command: string;
}

const held = new Map<string, DataDirLock>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function commandOf(pid: number): string | null {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ').slice(0, 200) || null;
  } catch {
    return null;
  }
}

function readLock(file: string): LockContent | null {
  try {
    const c = JSON.parse(fs.readFileSync(file, 'utf8')) as LockContent;
    return Number.isInteger(c.pid) ? c : null;
  } catch {
    return null;
  }
}

/**
 * Take the lock of an embedded data directory (`<dir>.lock`, beside it, so the database files are
 * untouched). Throws DataDirBusyError naming the holder when another live process — or this very
 * process, through a second open — holds it. Released by release() and, as a last resort, when the
 * process exits.
 */
export function lockDataDir(dir: string): DataDirLock {
  const file = path.resolve(dir) + '.lock';
  if (held.has(file)) throw new DataDirBusyError(dir, process.pid, 'this process (opened twice)');
  const content: LockContent = { pid: process.pid, startedAt: new Date().toISOString(), command: process.argv.slice(1).join(' ').slice(0, 200) };
  for (let attempt = 0; ; attempt++) {
    try {
      fs.writeFileSync(file, JSON.stringify(content), { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 2) throw err;
      const other = readLock(file);
      if (other && other.pid !== process.pid && alive(other.pid)) throw new DataDirBusyError(dir, other.pid, commandOf(other.pid) ?? other.command);
      // Stale (its process is gone) or unreadable (a crash mid-write): take it over.
      fs.rmSync(file, { force: true });
    }
  }
  const onExit = () => lock.release();
  const lock: DataDirLock = {
    file,
    release() {
      if (!held.delete(file)) return;
      process.off('exit', onExit);
      if (readLock(file)?.pid === process.pid) fs.rmSync(file, { force: true });
    },
  };
  held.set(file, lock);
  process.on('exit', onExit);
  return lock;
}
