import { readFileSync, statfsSync } from 'node:fs';
import { loadavg } from 'node:os';

/**
 * Host metrics read from the real host, in node_exporter's names and units, so that whatever
 * scrapes node_exporter can scrape a bundled broker's host the same way.
 */

/** USER_HZ: /proc/stat counts CPU time in 1/100 s on Linux. */
const USER_HZ = 100;
const CPU_MODES = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'] as const;

/** One sample of the host. */
export interface HostSample {
  readonly cpu: { cpu: string; mode: string; seconds: number }[];
  readonly memAvailableBytes: number | null;
  readonly memTotalBytes: number | null;
  readonly filesystems: { device: string; mountpoint: string; fstype: string; sizeBytes: number; availBytes: number }[];
  readonly network: { device: string; receiveBytes: number; transmitBytes: number }[];
  readonly load1: number;
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** Parses /proc/stat per-CPU lines into seconds by mode. */
export function parseProcStat(text: string): { cpu: string; mode: string; seconds: number }[] {
  const out: { cpu: string; mode: string; seconds: number }[] = [];
  for (const line of text.split('\n')) {
    const m = /^cpu(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const fields = m[2]!.trim().split(/\s+/).map(Number);
    CPU_MODES.forEach((mode, i) => {
      if (fields[i] !== undefined && Number.isFinite(fields[i])) out.push({ cpu: m[1]!, mode, seconds: fields[i]! / USER_HZ });
    });
  }
  return out;
}

/** Reads a `Key: N kB` value from /proc/meminfo text, in bytes. */
export function parseMeminfo(text: string, key: string): number | null {
  const m = new RegExp(`^${key}:\\s+(\\d+)\\s*kB`, 'm').exec(text);
  return m ? Number(m[1]) * 1024 : null;
}

/** Parses /proc/net/dev into bytes received and sent per interface. */
export function parseNetDev(text: string): { device: string; receiveBytes: number; transmitBytes: number }[] {
  const out: { device: string; receiveBytes: number; transmitBytes: number }[] = [];
  for (const line of text.split('\n').slice(2)) {
    const m = /^\s*([^:]+):\s*(.*)$/.exec(line);
    if (!m) continue;
    const f = m[2]!.trim().split(/\s+/).map(Number);
    out.push({ device: m[1]!.trim(), receiveBytes: f[0] ?? 0, transmitBytes: f[8] ?? 0 });
  }
  return out;
}

/** Reads the host now; parts the host does not expose are left out, never invented. */
export function sampleHost(paths: { mountpoints?: readonly string[] } = {}): HostSample {
  const stat = readText('/proc/stat');
  const meminfo = readText('/proc/meminfo');
  const netdev = readText('/proc/net/dev');
  const mounts = readText('/proc/mounts') ?? '';
  const filesystems: HostSample['filesystems'] = [];
  for (const mountpoint of paths.mountpoints ?? ['/']) {
    try {
      const s = statfsSync(mountpoint);
      const entry = mounts.split('\n').map((l) => l.split(' ')).find((f) => f[1] === mountpoint);
      filesystems.push({
        device: entry?.[0] ?? 'unknown',
        mountpoint,
        fstype: entry?.[2] ?? 'unknown',
        sizeBytes: s.blocks * s.bsize,
        availBytes: s.bavail * s.bsize,
      });
    } catch {
      // not mounted or not readable: no series rather than a wrong one
    }
  }
  return {
    cpu: stat ? parseProcStat(stat) : [],
    memAvailableBytes: meminfo ? parseMeminfo(meminfo, 'MemAvailable') : null,
    memTotalBytes: meminfo ? parseMeminfo(meminfo, 'MemTotal') : null,
    filesystems,
    network: netdev ? parseNetDev(netdev) : [],
    load1: loadavg()[0] ?? 0,
  };
}
