import type { NextConfig } from 'next';

const nextConfig: NextConfig = {
  // A self-contained server (.next/standalone) for the Docker image.
  output: 'standalone',
  poweredByHeader: false,
  reactStrictMode: true,
};

export default nextConfig;
