import type { Logger as TemporalLogger, LogLevel as TemporalLogLevel, LogMetadata } from '@temporalio/common';
import type { LogLevel } from './config';

/**
 * The main job's log: one JSON object per line on stdout, filtered by LOG_LEVEL. The Temporal SDK
 * (worker, bundler, native core) writes through the same sink, so nothing plain-text mixes in.
 */

const ORDER: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

export interface Log {
  readonly level: LogLevel;
  debug(msg: string, extra?: Record<string, unknown>): void;
  info(msg: string, extra?: Record<string, unknown>): void;
  warn(msg: string, extra?: Record<string, unknown>): void;
  error(msg: string, extra?: Record<string, unknown>): void;
}

export function createLog(level: LogLevel, write: (line: string) => void = writeStdout): Log {
  const at =
    (entryLevel: LogLevel) =>
    (msg: string, extra: Record<string, unknown> = {}): void => {
      if (ORDER.indexOf(entryLevel) < ORDER.indexOf(level)) return;
      write(JSON.stringify({ time: new Date().toISOString(), level: entryLevel, msg, ...extra }));
    };
  return { level, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

function writeStdout(line: string): void {
  process.stdout.write(`${line}\n`);
}

const FROM_TEMPORAL: Record<TemporalLogLevel, LogLevel> = {
  TRACE: 'debug',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/** The Temporal SDK's logger interface over `log`; `floor` raises the level of a chatty component. */
export function temporalLogger(log: Log, floor: LogLevel = 'debug'): TemporalLogger {
  const emit = (level: TemporalLogLevel, message: string, meta?: LogMetadata): void => {
    const mapped = FROM_TEMPORAL[level];
    if (ORDER.indexOf(mapped) < ORDER.indexOf(floor)) return;
    log[mapped](message, { source: 'temporal', ...jsonSafe(meta) });
  };
  return {
    log: emit,
    trace: (message, meta) => emit('TRACE', message, meta),
    debug: (message, meta) => emit('DEBUG', message, meta),
    info: (message, meta) => emit('INFO', message, meta),
    warn: (message, meta) => emit('WARN', message, meta),
    error: (message, meta) => emit('ERROR', message, meta),
  };
}

/** Errors in log metadata lose their message under JSON.stringify; keep it. */
function jsonSafe(meta: LogMetadata | undefined): Record<string, unknown> {
  if (!meta) return {};
  return Object.fromEntries(
    Object.entries(meta).map(([key, value]) => [
      key,
      value instanceof Error ? { name: value.name, message: value.message } : value,
    ]),
  );
}
