#!/usr/bin/env node
import { installNodeRuntime } from '../backends/nodeThreads.js';
import { run } from './main.js';

installNodeRuntime();

run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // run() catches everything a command throws; reaching here is a bug in the CLI itself.
    process.stderr.write(`nmsparse: internal error: ${String(err).split('\n')[0]}\n`);
    process.exitCode = 3;
  },
);
