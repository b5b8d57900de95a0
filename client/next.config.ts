import type { NextConfig } from 'next';
import { PHASE_DEVELOPMENT_SERVER } from 'next/constants';
import { EXPLORER_EXTENSIONS, isOn } from './lib/explorer-setting';

/**
 * The hosts a browser reaches `next dev` through, besides the one it was started on. Next 16
 * refuses its dev resources (hot reload at /_next/webpack-hmr, dev chunks) to any other
 * origin. In Kubernetes the page comes through the Gateway at ticketing.local or through
 * the front door that skaffold port-forwards to localhost:8080 (docs/deploy.md).
 */
export const devOrigins = ['localhost', '127.0.0.1', '*.localhost', 'ticketing.local'];

const nextConfig: NextConfig = {
  // A self-contained server (.next/standalone) for the Docker image.
  output: 'standalone',
  poweredByHeader: false,
  reactStrictMode: true,
  // On every answer, static files included; pages also get their CSP and Referrer-Policy from proxy.ts.
  async headers() {
    return [
      {
        source: '/:path*',
        headers: [
          { key: 'X-Content-Type-Options', value: 'nosniff' },
          { key: 'X-Frame-Options', value: 'DENY' }, // for browsers without CSP frame-ancestors
        ],
      },
    ];
  },
};

/** Whether this build has the event explorer's routes (lib/explorer-setting.ts). */
export const buildsExplorer = (phase: string, env: NodeJS.ProcessEnv) => phase === PHASE_DEVELOPMENT_SERVER || isOn(env.EVENT_EXPLORER);

export default function config(phase: string): NextConfig {
  const explorer = buildsExplorer(phase, process.env);
  const built: NextConfig = {
    ...nextConfig,
    pageExtensions: ['tsx', 'ts', ...(explorer ? EXPLORER_EXTENSIONS : [])],
    // Inlined at build time: the header links to /events only when this build has it.
    env: { EVENT_EXPLORER_BUILT: explorer ? 'yes' : 'no' },
  };
  // Only the dev server reads allowedDevOrigins; production builds carry no such list.
  return phase === PHASE_DEVELOPMENT_SERVER ? { ...built, allowedDevOrigins: devOrigins } : built;
}
