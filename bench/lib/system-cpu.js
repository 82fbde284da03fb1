// CPU time read from /proc: of one process, of the PostgreSQL server (all its processes), and of
// the whole machine. The bench uses them to say where a delivery's cost goes, beside wall time.
import { readdirSync, readFileSync } from 'node:fs';

const CLOCK_TICKS_PER_S = 100; // USER_HZ on Linux: /proc/<pid>/stat counts CPU time in these
const ticksToMs = (ticks) => (ticks * 1000) / CLOCK_TICKS_PER_S;

/** The fields of /proc/<pid>/stat from field 3 (state) on, or null if the process is gone. */
function statFields(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return { comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), fields: stat.slice(stat.lastIndexOf(')') + 2).split(' ') };
  } catch {
    return null;
  }
}

/** User + system CPU time `pid` used so far, ms (clock-tick resolution: 10 ms). */
export function processCpuMs(pid) {
  const stat = statFields(pid);
  if (!stat) throw new Error(`process ${pid} is gone`);
  return ticksToMs(Number(stat.fields[11]) + Number(stat.fields[12])); // utime, stime
}

/**
 * CPU time used so far by every process named `postgres` (the postmaster, its backends and
 * background workers), plus what the postmaster's exited children used (cutime, cstime): a
 * backend that ends between two readings still counts. Only meaningful for a local server.
 */
export function postgresCpuMs() {
  let ticks = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = statFields(name);
    if (stat?.comm !== 'postgres') continue;
    const [ppid, utime, stime, cutime, cstime] = [1, 11, 12, 13, 14].map((i) => Number(stat.fields[i]));
    ticks += utime + stime;
    const parent = statFields(ppid);
    if (parent?.comm !== 'postgres') ticks += cutime + cstime; // the postmaster: reaped backends
  }
  return ticksToMs(ticks);
}

/** Busy CPU time of the whole machine so far (all cores, everything but idle and iowait), ms. */
export function machineBusyMs() {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = cpu;
  return ticksToMs(user + nice + system + irq + softirq + steal);
}

/** Takes the three readings now; `since(before)` gives the CPU used in between, ms. */
export function cpuSnapshot(pids = []) {
  const take = () => ({ postgres: postgresCpuMs(), machine: machineBusyMs(), processes: pids.map(processCpuMs) });
  const before = take();
  return {
    since() {
      const now = take();
      return {
        postgresMs: now.postgres - before.postgres,
        machineMs: now.machine - before.machine,
        processesMs: now.processes.map((ms, i) => ms - before.processes[i]),
      };
    },
  };
}
