#!/usr/bin/env node
/**
 * `pdstack-router`: drop-in for `python3 -m vllm_router.app`. Prints `pdstack-router listening on <url>` once ready;
 * SIGTERM/SIGINT (and, under npm's launcher, the launcher's exit) stop it gracefully. Command-line problems print one line on stderr and exit 2; a failure to start
 * prints one line and exits 1.
 */
import { buildConfig } from './config/config.js';
import { parseRouterArgv } from '../schema/facts/router-flags.js';
import { USAGE_EXIT_CODE, UsageError } from '../schema/facts/usage-error.js';
import { Logger } from './log.js';
import { VERSION } from './version.js';

const PROG = 'pdstack-router';

async function main(argv: readonly string[]): Promise<void> {
  const commandLine = parseRouterArgv(argv, PROG);
  if (commandLine.action === 'help') {
    process.stdout.write(commandLine.text);
    return;
  }
  if (commandLine.action === 'version') {
    process.stdout.write(`${PROG} ${VERSION}\n`);
    return;
  }
  const config = buildConfig(commandLine, process.env);
  const log = new Logger(config.logLevel, config.logFormat, 'vllm_router');
  const { createRouter } = await import('./app.js');
  const router = await createRouter(config, log);
  const url = await router.start();
  process.stdout.write(`${PROG} listening on ${url}\n`);
  let stopping = false;
  const stop = (reason: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${reason}; draining in-flight requests`);
    router.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error(`Shutdown failed: ${(err as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM received'));
  process.on('SIGINT', () => stop('SIGINT received'));
  watchNpmLauncher(() => stop("npm's launcher exited"));
}

/**
 * npm's launchers (`npx`, `npm exec`, `npm run`) start a bin through `sh -c` and, on SIGTERM, exit without waiting
 * for it (npm 11): the router would be left running, holding its port. Started by one of them (npm sets
 * `npm_execpath`), the router stops as on SIGTERM once its parent is gone (it is re-parented). Outside npm it keeps
 * running when its parent exits (`nohup`, a shell's `&`).
 */
function watchNpmLauncher(stop: () => void): void {
  if (!process.env['npm_execpath']) return;
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) stop();
  }, 500).unref();
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof UsageError) {
    process.stderr.write(`${PROG}: error: ${err.message}\n`);
    process.exit(USAGE_EXIT_CODE);
  }
  process.stderr.write(`${PROG}: error: ${(err as Error).message ?? String(err)}\n`);
  process.exit(1);
});
