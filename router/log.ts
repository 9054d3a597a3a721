/**
 * Logging in vllm_router's layout (reference §3.11): text `[<asctime>] LEVEL: <message> (<source>)` or JSON
 * `{timestamp, level, logger, message, filename}`; INFO and below go to stdout, WARNING and above to stderr.
 */
const LEVELS = { trace: 5, debug: 10, info: 20, warning: 30, error: 40, critical: 50 } as const;
export type LogLevel = keyof typeof LEVELS;

const COLOURS: Record<LogLevel, string> = {
  trace: '\x1b[37m',
  debug: '\x1b[36m',
  info: '\x1b[32m',
  warning: '\x1b[33m',
  error: '\x1b[31m',
  critical: '\x1b[1;31m',
};

function asctime(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())},${p(d.getMilliseconds(), 3)}`;
}

export class Logger {
  private readonly threshold: number;

  constructor(
    private readonly level: string,
    private readonly format: 'text' | 'json',
    private readonly name = 'pdstack_router',
  ) {
    this.threshold = LEVELS[level as LogLevel] ?? LEVELS.info;
  }

  /** A logger with the same settings and another source name (the module that logs). */
  child(name: string): Logger {
    return new Logger(this.level, this.format, name);
  }

  enabled(level: LogLevel): boolean {
    return LEVELS[level] >= this.threshold;
  }

  log(level: LogLevel, message: string): void {
    if (!this.enabled(level)) return;
    const now = new Date();
    const stream = LEVELS[level] >= LEVELS.warning ? process.stderr : process.stdout;
    const label = level.toUpperCase();
    let line: string;
    if (this.format === 'json') {
      line = JSON.stringify({ timestamp: now.toISOString(), level: label, logger: this.name, message });
    } else if (stream.isTTY) {
      line = `${COLOURS[level]}[${asctime(now)}] ${label}:\x1b[0m ${message} (${this.name})`;
    } else {
      line = `[${asctime(now)}] ${label}: ${message} (${this.name})`;
    }
    stream.write(line + '\n');
  }

  debug(message: string): void {
    this.log('debug', message);
  }
  info(message: string): void {
    this.log('info', message);
  }
  warn(message: string): void {
    this.log('warning', message);
  }
  error(message: string): void {
    this.log('error', message);
  }
}
