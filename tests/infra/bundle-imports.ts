/**
 * What a bundle still imports at run time, read by esbuild's parser (so strings in error
 * messages that merely mention a package don't count): every `import`, `import()` and
 * `require()` of something outside the file.
 */
import { buildSync } from 'esbuild';

export function runtimeImports(bundlePath: string): string[] {
  const result = buildSync({
    entryPoints: [bundlePath],
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    logLevel: 'silent',
  });
  const imports = Object.values(result.metafile.inputs).flatMap((input) => input.imports);
  return [...new Set(imports.filter((i) => i.external).map((i) => i.path))].sort();
}
