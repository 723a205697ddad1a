/**
 * How `pnpm start` shows its children's output. Development: one readable line per event,
 * prefixed with the child's name (pino JSON lines through pino-pretty). Production
 * (NODE_ENV=production): JSON lines only, each tagged with `component` (the child's name), so a log shipper
 * can parse everything the orchestrator prints.
 */
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { prettyFactory } from 'pino-pretty';

export type LogMode = 'pretty' | 'json';

const COLORS = ['\x1b[36m', '\x1b[35m', '\x1b[33m', '\x1b[32m', '\x1b[34m', '\x1b[91m'];
const RESET = '\x1b[0m';

export interface Logger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** Writes text as is (the banner), in pretty mode; in JSON mode as one `msg`. */
  raw(text: string): void;
  /** Forwards a child's stream line by line. */
  pipe(name: string, stream: Readable, isStderr: boolean): void;
  /** `performance.now()` of the last line written (what the progress heartbeat watches). */
  readonly lastWriteAt: number;
}

export function createLogger(mode: LogMode, useColor = process.stdout.isTTY === true): Logger {
  const pretty = prettyFactory({
    colorize: useColor,
    translateTime: 'SYS:HH:MM:ss',
    ignore: 'pid,hostname',
    singleLine: true,
  });
  const colorOf = new Map<string, string>();
  const tag = (name: string): string => {
    const padded = name.padEnd(9);
    if (!useColor) return `${padded}│ `;
    let color = colorOf.get(name);
    if (color === undefined) {
      color = COLORS[colorOf.size % COLORS.length] ?? '';
      colorOf.set(name, color);
    }
    return `${color}${padded}${RESET}│ `;
  };
  let lastWriteAt = performance.now();
  const write = (text: string) => {
    lastWriteAt = performance.now();
    process.stdout.write(text);
  };
  const LEVELS = { info: 30, warn: 40, error: 50 } as const;
  const own =
    (level: keyof typeof LEVELS) =>
    (msg: string, fields: Record<string, unknown> = {}) => {
      if (mode === 'json') {
        write(
          `${JSON.stringify({ level: LEVELS[level], time: Date.now(), component: 'start', ...fields, msg })}\n`,
        );
      } else {
        const extra =
          Object.keys(fields).length === 0
            ? ''
            : ` ${Object.entries(fields)
                .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
                .join(' ')}`;
        write(
          `${tag('start')}${level === 'info' ? '' : `${level.toUpperCase()}: `}${msg}${extra}\n`,
        );
      }
    };
  return {
    get lastWriteAt() {
      return lastWriteAt;
    },
    info: own('info'),
    warn: own('warn'),
    error: own('error'),
    raw(text) {
      if (mode === 'json')
        write(
          `${JSON.stringify({ level: 30, time: Date.now(), component: 'start', msg: text })}\n`,
        );
      else write(text.endsWith('\n') ? text : `${text}\n`);
    },
    pipe(name, stream, isStderr) {
      const lines = createInterface({ input: stream, crlfDelay: Infinity });
      lines.on('line', (line) => {
        if (line.trim() === '') return;
        const isJson = line.startsWith('{') && line.endsWith('}');
        if (mode === 'json') {
          if (isJson) {
            // Tag the child's own JSON line without re-encoding the rest of it.
            write(`{"component":${JSON.stringify(name)},${line.slice(1)}\n`);
          } else {
            write(
              `${JSON.stringify({ level: isStderr ? 50 : 30, time: Date.now(), component: name, msg: line })}\n`,
            );
          }
          return;
        }
        let text = line;
        if (isJson) {
          try {
            text = pretty(line).trimEnd();
          } catch {
            text = line;
          }
        }
        write(`${tag(name)}${text}\n`);
      });
    },
  };
}
