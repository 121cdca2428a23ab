import { readdirSync, readFileSync } from 'node:fs';

/**
 * The pids of every process descended from this one, children first, from
 * /proc/<pid>/task/<tid>/children (space-separated pids; Linux 3.5+, CONFIG_PROC_CHILDREN, which
 * every mainstream kernel sets). Empty where /proc has no such file (another OS, an old kernel).
 */
export function descendantPids(root: number = process.pid): number[] {
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue; // gone already, or no /proc
    }
    for (const tid of tasks) {
      let text = '';
      try {
        text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'latin1');
      } catch {
        continue;
      }
      for (const child of text.split(' ').filter(Boolean).map(Number)) {
        found.push(child);
        queue.push(child);
      }
    }
  }
  return found;
}

/**
 * SIGKILLs every descendant: what a library spawned and cannot be told to stop (systeminformation
 * runs `sh -c "netstat -tunap | grep tcp"`, whose netstat would otherwise run on under init after
 * we exit, as it does after the collector's deadline has abandoned it). Our own processes only.
 */
export function killDescendants(): void {
  for (const pid of descendantPids()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // exited meanwhile
    }
  }
}
