// Serves the built pages (dist/web, from `npm run build:web`) on 127.0.0.1, a secure context for
// WebGPU, and prints their URLs. `/` lists the pages.
//   tsx scripts/serve-web.ts [--port N] [--dir DIR]      (port 0 or none: a free port)
import { createServer, type Server } from 'node:http';
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.wgsl': 'text/plain; charset=utf-8',
};

/** Page folders of `dir` (those with an index.html). */
export function pagesIn(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, 'index.html')))
    .map((d) => d.name)
    .sort();
}

/** A static server of `dir` on 127.0.0.1:port (0: any free port). */
export async function serveWeb(dir: string, port = 0): Promise<{ url: string; server: Server }> {
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname));
    if (path.includes('..')) return void res.writeHead(400).end('bad path');
    if (path === '/' && !existsSync(join(dir, 'index.html'))) {
      const links = pagesIn(dir)
        .map((p) => `<li><a href="./${p}/">${p}</a></li>`)
        .join('');
      return void res
        .writeHead(200, { 'content-type': TYPES['.html']! })
        .end(`<!doctype html><title>fluctus pages</title><h1>fluctus pages</h1><ul>${links}</ul>`);
    }
    const file = join(dir, path.endsWith('/') ? `${path}index.html` : path);
    try {
      const body = await readFile(file);
      res
        .writeHead(200, {
          'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
          'cache-control': 'no-cache',
        })
        .end(body);
    } catch {
      if (!path.endsWith('/') && existsSync(join(dir, path, 'index.html')))
        return void res.writeHead(301, { location: `${path}/` }).end();
      res.writeHead(404).end('not found');
    }
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => ok());
  });
  const addr = server.address();
  if (!addr || typeof addr === 'string') throw new Error('serve-web: the server has no port');
  return { url: `http://127.0.0.1:${addr.port}`, server };
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
  const dir = resolve(arg('--dir') ?? join(root, 'dist/web'));
  const rawPort = arg('--port') ?? '0';
  const port = Number(rawPort);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`serve-web: --port must be an integer in [0, 65535], got '${rawPort}'`);
    process.exit(2);
  }
  if (!existsSync(dir) || pagesIn(dir).length === 0) {
    console.error(`serve-web: ${dir} has no pages; build them first with: npm run build:web`);
    process.exit(1);
  }
  const { url } = await serveWeb(dir, port);
  console.log(`serving ${dir} on ${url}/`);
  for (const p of pagesIn(dir)) console.log(`  ${url}/${p}/`);
  console.log('(Ctrl-C stops it)');
}
