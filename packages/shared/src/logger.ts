import { existsSync, renameSync, statSync } from 'node:fs';
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

/** Keys that may hold secrets anywhere in a log line. pino removes them before serialising. */
export const REDACT_PATHS = [
  'privateKey',
  '*.privateKey',
  'secret',
  '*.secret',
  'passphrase',
  '*.passphrase',
  'apiKey',
  '*.apiKey',
  'creds',
  '*.creds',
  'key',
  '*.key',
  'password',
  '*.password',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'headers.POLY_SIGNATURE',
  '*.headers.POLY_SIGNATURE',
  'headers.POLY_API_KEY',
  '*.headers.POLY_API_KEY',
  'headers.POLY_PASSPHRASE',
  '*.headers.POLY_PASSPHRASE',
  'POLYBOT_PRIVATE_KEY',
  '*.POLYBOT_PRIVATE_KEY',
  'POLYBOT_DASHBOARD_PASSWORD',
  '*.POLYBOT_DASHBOARD_PASSWORD',
  'signer',
  '*.signer',
];

const secrets = new Set<string>();

/** Registers a secret value: any log string containing it is scrubbed, whatever key it sits under. */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 8) secrets.add(value);
}

export function scrubSecrets(text: string): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join('[redacted]');
  return out;
}

function scrubDeep(value: unknown, depth = 0): unknown {
  if (secrets.size === 0 || depth > 6) return value;
  if (typeof value === 'string') return scrubSecrets(value);
  if (Array.isArray(value)) return value.map((v) => scrubDeep(v, depth + 1));
  if (value instanceof Error) return { type: value.name, message: scrubSecrets(value.message), stack: value.stack && scrubSecrets(value.stack) };
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrubDeep(v, depth + 1)]));
  }
  return value;
}

export interface LoggerParams {
  name: string;
  level?: string;
  /** Pretty output for humans; defaults to on when stdout is a terminal. */
  pretty?: boolean;
  destination?: NodeJS.WritableStream;
  /** Also append every line to this file (under compose, where `polybot bot trace` reads the logs). */
  file?: string;
  /** That file's bound (default 50 MB, and 3 older files kept). */
  fileBound?: LogFileBound;
}

export interface LogFileBound {
  /** At this size the file becomes `<name>.1.log` and a new one starts. */
  maxBytes: number;
  /** Older files kept: `<name>.1.log` (newest) … `<name>.<keep>.log`; the one beyond is dropped. */
  keep: number;
}
/** 200 MB at most per process: the file and 3 older ones of 50 MB. */
export const LOG_FILE_BOUND: LogFileBound = { maxBytes: 50 * 1024 * 1024, keep: 3 };

/**
 * A log file that never grows past its bound: when it reaches `maxBytes` it is renamed
 * `<name>.1.log` (the older ones move up one, the oldest beyond `keep` is overwritten) and a new
 * file is opened. The names still end in `.log`, so `polybot bot trace` reads them all. A rotation
 * that fails (a read-only disk) leaves the file growing rather than stopping the worker.
 */
export function boundedLogFile(file: string, bound: LogFileBound = LOG_FILE_BOUND): DestinationStream & { flushSync(): void } {
  const keep = Math.max(1, Math.floor(bound.keep));
  const dest = pino.destination({ dest: file, mkdir: true, sync: false });
  let size = existsSync(file) ? statSync(file).size : 0;
  // Between a rotation and the new file being open, lines still go to the one just renamed.
  let reopening = false;
  dest.on('ready', () => void (reopening = false));
  const older = (i: number) => `${file.replace(/\.log$/, '')}.${i}.log`;
  return {
    write(chunk: string) {
      dest.write(chunk);
      size += Buffer.byteLength(chunk);
      if (size < bound.maxBytes || reopening) return;
      try {
        for (let i = keep - 1; i >= 1; i--) if (existsSync(older(i))) renameSync(older(i), older(i + 1));
        renameSync(file, older(1)); // what is still buffered lands in it: the descriptor follows the file
        reopening = true;
        size = 0;
        dest.reopen();
      } catch {
        // keep writing where we are; the next line tries again
      }
    },
    flushSync() {
      try {
        dest.flushSync();
      } catch {
        // not open yet: nothing written
      }
    },
  };
}

export function createLogger(params: LoggerParams): Logger {
  const pretty = params.pretty ?? (process.stdout.isTTY === true && !process.env.CI);
  const options: LoggerOptions = {
    name: params.name,
    level: params.level ?? process.env.LOG_LEVEL ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { proc: params.name, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { log: (obj) => scrubDeep(obj) as Record<string, unknown> },
    hooks: {
      logMethod(args, method) {
        const scrubbed = secrets.size ? (args.map((a) => scrubDeep(a)) as typeof args) : args;
        method.apply(this, scrubbed);
      },
    },
  };
  if (params.destination) return pino(options, params.destination as pino.DestinationStream);
  if (params.file) {
    const file = boundedLogFile(params.file, params.fileBound);
    return pino(options, pino.multistream([{ stream: process.stdout }, { stream: file }]));
  }
  if (pretty) return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true } } });
  return pino(options);
}
