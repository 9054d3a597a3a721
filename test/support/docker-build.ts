/**
 * `docker build` without a Docker engine (there is none on this machine): runs a Dockerfile's instructions on this
 * machine so a test can check what the image would hold and start its entrypoint.
 *
 * - The Dockerfile is parsed and validated by `dockerfile-utils` / `dockerfile-ast` (the parser of VS Code's Docker
 *   extension); any problem it reports fails the build.
 * - The build context is the files of `contextDir` that `<Dockerfile>.dockerignore` lets through, with Docker's
 *   rules (last matching pattern wins; a pattern matching a directory covers what is below it; `!` re-includes).
 * - Each stage is a directory standing for the image's filesystem (`/app` is `<stage>/app`). Its base image must be
 *   `node:<major>-...` with the major version of the Node.js running the test: that is the machine's own Node.js,
 *   so base-image contents (Debian, the `node` user) are not emulated, only the layers the Dockerfile adds.
 * - WORKDIR, COPY (from the context or `--from=<stage>`, directory contents copied into the destination as Docker
 *   does), RUN (`sh -c`, in the working directory, with only PATH, a private HOME, the stage's ENV and a private npm
 *   cache, so a `npm cache clean` in the Dockerfile does not clear the user's), ENV, USER, EXPOSE and exec-form
 *   ENTRYPOINT are carried out or recorded; any other instruction fails the build, so the emulation never silently
 *   skips a step.
 */
import { execFile } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
} from 'node:fs';
import { cp } from 'node:fs/promises';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { basename, dirname, join, posix } from 'node:path';
import { Copy, DockerfileParser, Env, type Instruction } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';

export interface BuiltImage {
  /** Directory standing for the final image's filesystem root. */
  readonly root: string;
  /** The exec-form ENTRYPOINT, image paths as written. */
  readonly entrypoint: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly user: string | undefined;
  /** The final WORKDIR, an image path. */
  readonly workdir: string;
  readonly exposed: readonly string[];
  /** Number of FROM instructions. */
  readonly stages: number;
}

interface Stage {
  readonly name: string | undefined;
  readonly root: string;
  workdir: string;
  env: Record<string, string>;
  user: string | undefined;
  exposed: string[];
  entrypoint: string[];
}

/** A `.dockerignore` pattern as a regular expression over slash-separated relative paths. */
function patternRegex(pattern: string): RegExp {
  const clean = posix.normalize(pattern).replace(/^\/+|\/+$/g, '');
  let re = '';
  for (let i = 0; i < clean.length; i++) {
    const ch = clean[i]!;
    if (ch === '*' && clean[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Relative paths of the files of `dir` that the `.dockerignore` text lets into the build context. */
export function contextFiles(dir: string, dockerignore: string): string[] {
  const rules = dockerignore
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) =>
      l.startsWith('!')
        ? { include: true, re: patternRegex(l.slice(1)), raw: l.slice(1) }
        : { include: false, re: patternRegex(l), raw: l },
    );
  const included = (rel: string): boolean => {
    const prefixes = rel.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/'));
    let keep = true;
    for (const rule of rules) if (prefixes.some((p) => rule.re.test(p))) keep = rule.include;
    return keep;
  };
  // an excluded directory is entered only if some `!` pattern could re-include something below it
  const mayReinclude = (rel: string) => rules.some((r) => r.include && posix.normalize(r.raw).startsWith(`${rel}/`));
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const entry of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (included(path) || mayReinclude(path)) walk(path);
      } else if (included(path)) out.push(path);
    }
  };
  walk('');
  return out.sort();
}

const args = (i: Instruction) => i.getArguments().map((a) => a.getValue());
/** Steps run asynchronously: a test worker whose event loop is blocked for a minute of `npm ci` loses its RPC. */
const run = promisify(execFile);

/**
 * Builds `dockerfile` (path) with `contextDir` as the context; the stages go into a new directory under the OS temp
 * directory (world-readable, so a non-root user can run what was built). Rejects with the failing step.
 */
export async function emulateDockerBuild(dockerfile: string, contextDir: string): Promise<BuiltImage> {
  const text = readFileSync(dockerfile, 'utf8');
  const problems = validate(text);
  if (problems.length > 0) {
    throw new Error(`${dockerfile}: ${problems.map((p) => `line ${p.range.start.line + 1}: ${p.message}`).join('; ')}`);
  }
  const work = mkdtempSync(join(tmpdir(), 'pdstack-docker-build-'));
  chmodSync(work, 0o755);
  try {
    return await build(text, dockerfile, contextDir, work);
  } catch (err) {
    rmSync(work, { recursive: true, force: true });
    throw err;
  }
}

async function build(text: string, dockerfile: string, contextDir: string, work: string): Promise<BuiltImage> {
  const context = join(work, 'context');
  const ignoreFile = `${dockerfile}.dockerignore`;
  for (const rel of contextFiles(contextDir, existsSync(ignoreFile) ? readFileSync(ignoreFile, 'utf8') : '')) {
    mkdirSync(dirname(join(context, rel)), { recursive: true });
    cpSync(join(contextDir, rel), join(context, rel));
  }
  const npmCache = join(work, 'npm-cache');
  const home = join(work, 'home');
  mkdirSync(home);
  const stages: Stage[] = [];
  const inImage = (stage: Stage, path: string) => join(stage.root, posix.resolve(stage.workdir, path));
  let step = 0;
  for (const ins of DockerfileParser.parse(text).getInstructions()) {
    step++;
    const keyword = ins.getKeyword();
    const where = `${dockerfile} step ${step} (${keyword} ${ins.getArgumentsContent() ?? ''})`;
    if (keyword === 'FROM') {
      const [image, as, name] = args(ins);
      const major = /^node:(\d+)(-|$)/.exec(image ?? '')?.[1];
      if (major !== process.versions.node.split('.')[0]) {
        throw new Error(
          `${where}: only node:${process.versions.node.split('.')[0]}-* base images are emulated (this machine's Node.js)`,
        );
      }
      const root = join(work, `stage-${stages.length}`);
      mkdirSync(root, { recursive: true });
      stages.push({
        name: as?.toUpperCase() === 'AS' ? name : undefined,
        root,
        workdir: '/',
        env: {},
        user: undefined,
        exposed: [],
        entrypoint: [],
      });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) throw new Error(`${where}: an instruction before FROM`);
    switch (keyword) {
      case 'WORKDIR':
        stage.workdir = posix.resolve(stage.workdir, args(ins)[0]!);
        mkdirSync(join(stage.root, stage.workdir), { recursive: true });
        break;
      case 'ENV':
        if (!(ins instanceof Env)) throw new Error(`${where}: not parsed as ENV`);
        for (const p of ins.getProperties()) stage.env[p.getName()] = p.getValue() ?? '';
        break;
      case 'COPY': {
        if (!(ins instanceof Copy)) throw new Error(`${where}: not parsed as COPY`);
        const from = ins.getFromFlag()?.getValue() ?? undefined;
        const source = from === undefined ? undefined : stages.find((s) => s.name === from);
        if (from !== undefined && !source) throw new Error(`${where}: no earlier stage named ${from}`);
        const all = args(ins).filter((a) => !a.startsWith('--'));
        const dest = all.pop()!;
        const destPath = inImage(stage, dest);
        for (const src of all) {
          const srcPath = source ? join(source.root, posix.resolve(source.workdir, src)) : join(context, src);
          if (!existsSync(srcPath))
            throw new Error(`${where}: ${src} is not in the ${source ? `stage ${from}` : 'build context'}`);
          const target =
            statSync(srcPath).isDirectory() || !(dest.endsWith('/') || all.length > 1)
              ? destPath
              : join(destPath, basename(src));
          mkdirSync(statSync(srcPath).isDirectory() ? target : dirname(target), { recursive: true });
          await cp(srcPath, target, { recursive: true });
        }
        break;
      }
      case 'RUN':
        try {
          await run('sh', ['-c', ins.getArgumentsContent() ?? ''], {
            cwd: join(stage.root, stage.workdir),
            // what a build container would have: PATH, a HOME of its own and the stage's ENV, not this shell's
            // variables (NODE_ENV=production or npm_config_* of `npm test` would change what `npm ci` installs)
            env: {
              PATH: process.env.PATH,
              HOME: home,
              ...stage.env,
              npm_config_cache: npmCache,
              npm_config_update_notifier: 'false',
            },
            maxBuffer: 64 * 1024 * 1024,
          });
        } catch (err) {
          const e = err as { stdout?: Buffer; stderr?: Buffer; message: string };
          const output = `${e.stdout?.toString() ?? ''}${e.stderr?.toString() ?? ''}`.trim();
          throw new Error(`${where} failed: ${output === '' ? e.message : output.slice(-2000)}`);
        }
        break;
      case 'USER':
        stage.user = args(ins)[0];
        break;
      case 'EXPOSE':
        stage.exposed.push(...args(ins));
        break;
      case 'ENTRYPOINT': {
        const exec = JSON.parse(ins.getArgumentsContent() ?? '') as unknown;
        if (!Array.isArray(exec) || !exec.every((a) => typeof a === 'string'))
          throw new Error(`${where}: only the exec (JSON) form is emulated`);
        stage.entrypoint = exec as string[];
        break;
      }
      default:
        throw new Error(`${where}: ${keyword} is not emulated`);
    }
  }
  const last = stages.at(-1);
  if (!last) throw new Error(`${dockerfile}: no FROM`);
  return {
    root: last.root,
    entrypoint: last.entrypoint,
    env: last.env,
    user: last.user,
    workdir: last.workdir,
    exposed: last.exposed,
    stages: stages.length,
  };
}
