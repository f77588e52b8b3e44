/**
 * Each Lambda function's bundle as the stack builds it — esbuild with the settings of
 * `infra/constructs/tracker-function.ts` (ESM, minified, the AWS SDK inside, the `require`
 * banner, the same target), to a temporary directory — its size, and its cold start: the wall time
 * of a fresh `node` process that imports the bundle, minus that of one importing an empty module
 * (bare Node start), median of `runs`. Runs interleave the empty module and every bundle, so a
 * burst of load on the machine hits all of them alike.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Metafile, build } from 'esbuild';
import { median, round, sig } from './stats.ts';
import { LAMBDA_ENV, LAMBDA_RUNTIME_GLOBALS } from '../tests/support/lambda-env.ts';
import { BUNDLE_ALIASES, ESBUILD_TARGET, ESM_REQUIRE_BANNER, MAIN_FIELDS } from '../infra/bundling/esbuild.ts';

const ROOT = resolve(import.meta.dirname, '..');

export interface BundleFigures {
  bytes: number;
  /**
   * Median time of the bundle's `import()` in a fresh process (measured inside it), minus that of
   * an empty module's: what the bundle adds to a bare Node start, ms.
   */
  initMs: number;
  /** Median wall time of the whole process importing the bundle, ms. */
  processMs: number;
  /** processMs / the empty module's processMs (bare Node start = 1). */
  coldStartRatio: number;
  /** The largest contributors to the bundle (esbuild metafile), kB: npm packages, and `(own code)`. */
  largest: Record<string, number>;
}

export interface BundlesFigures {
  runs: number;
  /** Median wall time of a fresh `node` importing an empty module (bare start), ms. */
  emptyProcessMs: number;
  /** The largest of the functions' ratios. */
  coldStartRatio: number;
  settings: { target: string; format: 'esm'; minify: true; sourcemap: true; mainFields: string[]; alias: Record<string, string> };
  functions: Record<string, BundleFigures>;
}

/**
 * The esbuild settings the stack uses: the shared ones from `infra/bundling/esbuild.ts`, and a
 * check that `tracker-function.ts` still passes them (and minifies, ESM, the SDK inside) as this
 * build assumes.
 */
function stackSettings(): { target: string; banner: string; mainFields: string[]; alias: Record<string, string> } {
  const source = readFileSync(join(ROOT, 'infra', 'constructs', 'tracker-function.ts'), 'utf8');
  const expected = [
    /minify: true/, /format: OutputFormat\.ESM/, /externalModules: \[\]/, /sourceMap: true/, /sourcesContent: false/,
    /target: ESBUILD_TARGET/, /banner: ESM_REQUIRE_BANNER/, /mainFields: MAIN_FIELDS/, /'--alias': Object\.entries\(BUNDLE_ALIASES\)/,
  ];
  if (!expected.every((re) => re.test(source))) {
    throw new Error('infra/constructs/tracker-function.ts changed shape: update bench/bundles.ts to build as it does');
  }
  return { target: ESBUILD_TARGET, banner: ESM_REQUIRE_BANNER, mainFields: [...MAIN_FIELDS], alias: { ...BUNDLE_ALIASES } };
}

/** Bytes in the output by npm package (the innermost `node_modules/<name>`) or own code, top 6, kB. */
function largestInputs(metafile: Metafile, outdir: string, name: string): Record<string, number> {
  const output = Object.entries(metafile.outputs).find(([path]) => resolve(ROOT, path) === join(outdir, `${name}.mjs`))?.[1];
  const byPackage = new Map<string, number>();
  for (const [path, { bytesInOutput }] of Object.entries(output?.inputs ?? {})) {
    const parts = path.split('node_modules/');
    const last = parts.length > 1 ? parts[parts.length - 1]! : undefined;
    const pkg = last ? (last.startsWith('@') ? last.split('/').slice(0, 2).join('/') : last.split('/')[0]!) : '(own code)';
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + bytesInOutput);
  }
  return Object.fromEntries(
    [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([pkg, bytes]) => [pkg, round(bytes / 1024, 1)]),
  );
}

/** Every `functions/<name>/handler.ts`. */
export function functionNames(): string[] {
  return readdirSync(join(ROOT, 'functions')).filter((n) => existsSync(join(ROOT, 'functions', n, 'handler.ts'))).sort();
}


/**
 * A fresh node (with Lambda's `--enable-source-maps`) importing `file`: the process's wall time
 * and, measured inside it, the time of the `import()` alone (what Lambda's init phase adds to the
 * runtime's own start), ms.
 */
function timeImport(file: string): Promise<{ wallMs: number; importMs: number }> {
  // The Lambda runtime provides `awslambda` to response-streaming handlers; stand it in as it would.
  const script =
    LAMBDA_RUNTIME_GLOBALS +
    `const t = performance.now(); const m = await import(${JSON.stringify(pathToFileURL(file).href)});` +
    'process.stdout.write(String(performance.now() - t)); if (m.handler === null) process.exit(3);';
  const t = performance.now();
  return new Promise((done, fail) => {
    execFile(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', script], { env: LAMBDA_ENV, timeout: 60_000 }, (error, out, stderr) => {
      if (error) fail(new Error(`importing ${file} failed: ${error.message}\n${stderr}`));
      else done({ wallMs: performance.now() - t, importMs: Number(out) });
    });
  });
}

export async function measureBundles(options: { runs: number; only?: string[] }): Promise<BundlesFigures> {
  const { target, banner, mainFields, alias } = stackSettings();
  const names = options.only ?? functionNames();
  const outdir = mkdtempSync(join(tmpdir(), 'tracker-bench-bundles-'));
  try {
    const built = await build({
      metafile: true,
      entryPoints: Object.fromEntries(names.map((n) => [n, join(ROOT, 'functions', n, 'handler.ts')])),
      outdir,
      outExtension: { '.js': '.mjs' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      target,
      mainFields,
      alias,
      // Aliases name files relative to the project root, as when the stack bundles.
      absWorkingDir: ROOT,
      banner: { js: banner },
      minify: true,
      sourcemap: true,
      sourcesContent: false,
      tsconfig: join(ROOT, 'tsconfig.json'),
      logLevel: 'warning',
    });
    const empty = join(outdir, 'empty.mjs');
    writeFileSync(empty, '');
    const times = new Map<string, { wallMs: number; importMs: number }[]>([['empty', []], ...names.map((n) => [n, []] as [string, []])]);
    await timeImport(empty); // warm the file cache and the node binary
    for (let run = 0; run < options.runs; run++) {
      times.get('empty')!.push(await timeImport(empty));
      for (const n of names) times.get(n)!.push(await timeImport(join(outdir, `${n}.mjs`)));
    }
    const med = (n: string, k: 'wallMs' | 'importMs') => median(times.get(n)!.map((t) => t[k]));
    const emptyMs = med('empty', 'wallMs');
    const emptyImportMs = med('empty', 'importMs');
    const functions: Record<string, BundleFigures> = {};
    for (const n of names) {
      const processMs = med(n, 'wallMs');
      functions[n] = {
        bytes: statSync(join(outdir, `${n}.mjs`)).size,
        initMs: round(Math.max(0, med(n, 'importMs') - emptyImportMs), 1),
        processMs: round(processMs, 1),
        coldStartRatio: sig(processMs / emptyMs, 3),
        largest: largestInputs(built.metafile, outdir, n),
      };
    }
    return {
      runs: options.runs,
      emptyProcessMs: round(emptyMs, 1),
      coldStartRatio: Math.max(...Object.values(functions).map((f) => f.coldStartRatio)),
      settings: { target, format: 'esm', minify: true, sourcemap: true, mainFields, alias },
      functions,
    };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
