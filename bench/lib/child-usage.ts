import { spawn } from 'node:child_process';
import { closeSync, fstatSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Wall time, CPU time and peak RSS of one command, measured by a small Python parent: it starts the
 * command in its own process group, waits for it, and reads `getrusage(RUSAGE_CHILDREN)`. The kernel
 * fills that in when a waited-for child ends, with the child's own figures folded in with those of the
 * descendants it waited for: `ru_maxrss` is the high-water mark of resident memory of the largest
 * single process in that tree (not a sum over processes running at once), user + system time is the
 * CPU of the whole tree. Exact (no sampling, so no short peak is missed) and the parent itself is not
 * counted. Both commands measured here do their work in one process (Cloudsplaining's Python, ours in
 * one Node process started directly, no npx in between), so the largest process is the figure.
 *
 * A timeout, a resident-memory cap (the child's VmRSS read from /proc four times a second: a guard for
 * shared machines, not the measurement) or an abort of the bench kills the whole process group; the
 * figures then say so.
 */

const WRAPPER = String.raw`
import json, os, resource, signal, subprocess, sys, time
report, timeout, max_rss, out_path, err_path = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
command = sys.argv[6:]
out = open(out_path, "wb")
err = open(err_path, "wb")
started = time.monotonic()
child = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=err, start_new_session=True)
stopped = []
def stop(signum, frame):
    stopped.append(signum or "timeout")
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)
def rss():
    try:
        with open("/proc/%d/status" % child.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0
timed_out = False
over_limit = False
while True:
    try:
        code = child.wait(timeout=0.25)
        break
    except subprocess.TimeoutExpired:
        pass
    if timeout > 0 and time.monotonic() - started > timeout:
        timed_out = True
    elif max_rss > 0 and rss() > max_rss:
        over_limit = True
    if timed_out or over_limit:
        stop(None, None)
        code = child.wait()
        break
wall = time.monotonic() - started
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
scale = 1 if sys.platform == "darwin" else 1024
with open(report, "w") as f:
    json.dump({"code": code, "wall": wall, "user": usage.ru_utime, "system": usage.ru_stime,
               "maxRssBytes": usage.ru_maxrss * scale, "timedOut": timed_out, "overLimit": over_limit,
               "killed": bool(stopped) and not timed_out and not over_limit}, f)
`;

export interface ChildUsage {
  /** Exit code; negative: killed by that signal. */
  code: number;
  wallSeconds: number;
  cpuSeconds: number;
  maxRssBytes: number;
  timedOut: boolean;
  /** Killed because its resident memory passed `maxRssBytes`. */
  overLimit: boolean;
  /** Stopped by the bench's abort (hard timeout, Ctrl-C). */
  killed: boolean;
  stdoutFile: string;
  stderrFile: string;
}

export interface MeasureOptions {
  /** Python 3 to run the wrapper (any; the measured command is separate). */
  python: string;
  timeoutSeconds: number;
  /** Kill the command when its resident memory passes this (0: no cap). */
  maxRssBytes: number;
  /** Where the command's stdout and stderr go (files: outputs can be large). */
  stdoutFile: string;
  stderrFile: string;
  signal?: AbortSignal;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export async function measureChild(command: string, args: string[], options: MeasureOptions): Promise<ChildUsage> {
  const report = path.join(os.tmpdir(), `least-bench-usage-${process.pid}-${Date.now()}-${Math.random()}.json`);
  const wrapper = spawn(
    options.python,
    [
      '-c',
      WRAPPER,
      report,
      String(options.timeoutSeconds),
      String(Math.round(options.maxRssBytes)),
      options.stdoutFile,
      options.stderrFile,
      command,
      ...args,
    ],
    { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let wrapperErr = '';
  wrapper.stderr.on('data', (chunk: Buffer) => (wrapperErr = (wrapperErr + chunk.toString()).slice(-4000)));
  const onAbort = (): void => void wrapper.kill('SIGTERM');
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort();
  const exit = await new Promise<number | null>((resolve, reject) => {
    wrapper.once('error', reject);
    wrapper.once('exit', (code) => resolve(code));
  }).finally(() => options.signal?.removeEventListener('abort', onAbort));
  let raw: string;
  try {
    raw = readFileSync(report, 'utf8');
  } catch {
    throw new Error(`measuring "${command}" failed (wrapper exit ${exit}): ${wrapperErr.trim() || 'no report'}`);
  } finally {
    rmSync(report, { force: true });
  }
  const r = JSON.parse(raw) as {
    code: number;
    wall: number;
    user: number;
    system: number;
    maxRssBytes: number;
    timedOut: boolean;
    overLimit: boolean;
    killed: boolean;
  };
  return {
    code: r.code,
    wallSeconds: r.wall,
    cpuSeconds: r.user + r.system,
    maxRssBytes: r.maxRssBytes,
    timedOut: r.timedOut,
    overLimit: r.overLimit,
    killed: r.killed,
    stdoutFile: options.stdoutFile,
    stderrFile: options.stderrFile,
  };
}

/** The last lines of a file (read from its last 64 KiB), for error messages. */
export function tail(file: string, lines = 6): string {
  try {
    const fd = openSync(file, 'r');
    try {
      const size = fstatSync(fd).size;
      const length = Math.min(size, 65536);
      const buffer = Buffer.alloc(length);
      readSync(fd, buffer, 0, length, size - length);
      return buffer.toString('utf8').trimEnd().split('\n').slice(-lines).join(' | ');
    } finally {
      closeSync(fd);
    }
  } catch {
    return '';
  }
}
