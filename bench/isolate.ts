import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ChildRequest } from './child.js';
import type { CaseBase, Measured } from './suite.js';
import type { TimingPlan } from './timing.js';

export type IsolatedOutcome =
  | { status: 'ok'; measured: Measured }
  | { status: 'failed' | 'skipped'; reason: string };

type ChildReply = { ok: true; measured: Measured } | { ok: false; error: string };

/** Runs a case in a fresh Node process (see child.ts) and stops it after `timeoutSeconds`. */
export function runIsolated(benchCase: CaseBase, plan: TimingPlan, timeoutSeconds: number): Promise<IsolatedOutcome> {
  return new Promise((resolve) => {
    const child = fork(fileURLToPath(new URL('./child.js', import.meta.url)), [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    let settled = false;
    const finish = (outcome: IsolatedOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      resolve(outcome);
    };
    const timer = setTimeout(
      () => finish({ status: 'skipped', reason: `stopped after ${timeoutSeconds} s` }),
      timeoutSeconds * 1000,
    );
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-2000);
    });
    child.on('message', (reply: ChildReply) =>
      finish(reply.ok ? { status: 'ok', measured: reply.measured } : { status: 'failed', reason: reply.error }),
    );
    child.on('close', (code, signal) => {
      const lastLine = stderr.trim().split('\n').pop() ?? '';
      finish({ status: 'failed', reason: `process exited (${signal ?? `code ${code}`}) ${lastLine}`.trim() });
    });
    const request: ChildRequest = { benchCase, plan };
    child.send(request);
  });
}
