import type { NextConfig } from 'next';
import { PHASE_DEVELOPMENT_SERVER } from 'next/constants';

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
};

// Only the dev server reads allowedDevOrigins; production builds carry no such list.
export default function config(phase: string): NextConfig {
  return phase === PHASE_DEVELOPMENT_SERVER ? { ...nextConfig, allowedDevOrigins: devOrigins } : nextConfig;
}
