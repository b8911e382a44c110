// Types of web.mjs for the test that builds and serves the demo page.
import type { Server } from 'node:http';

export const WEB_OUT: string;
export function buildDemo(out?: string): Promise<string>;
export function serveDemo(dir?: string, port?: number): Promise<{ url: string; server: Server }>;
