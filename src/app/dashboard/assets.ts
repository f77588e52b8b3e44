/**
 * The dashboard's static assets, held in memory (the Lambda bundle has no files to read), each with
 * a content hash used both as its strong ETag and as the `?v=` that makes its URL immutable.
 */
import { createHash } from 'node:crypto';
import { DASHBOARD_JS } from './client-script.ts';
import { DASHBOARD_CSS } from './styles.ts';

export interface Asset {
  body: string;
  contentType: string;
  hash: string;
}

const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">
<rect x="6" y="6" width="20" height="20" rx="3" fill="#14213d"/>
<rect x="11" y="11" width="10" height="10" rx="1.5" fill="#3b82f6"/>
<path d="M10 2v4M16 2v4M22 2v4M10 26v4M16 26v4M22 26v4M2 10h4M2 16h4M2 22h4M26 10h4M26 16h4M26 22h4" stroke="#14213d" stroke-width="2"/>
</svg>
`;

function asset(body: string, contentType: string): Asset {
  return { body, contentType, hash: createHash('sha256').update(body).digest('base64url').slice(0, 16) };
}

export const ASSETS: Readonly<Record<string, Asset>> = {
  'dashboard.js': asset(DASHBOARD_JS, 'text/javascript; charset=utf-8'),
  'dashboard.css': asset(DASHBOARD_CSS, 'text/css; charset=utf-8'),
  'favicon.svg': asset(FAVICON_SVG, 'image/svg+xml'),
};

/** The versioned URL of an asset; changes whenever its content does. */
export function assetUrl(name: string): string {
  const found = ASSETS[name];
  if (!found) throw new Error(`No dashboard asset '${name}'.`);
  return `/assets/${name}?v=${found.hash}`;
}
