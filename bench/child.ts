// Runs one benchmark case in its own process, so that its peak memory is its own.
// Installs Node's runtime (build/*.wasm via fs, the worker pool) as the package's Node entry does.
import '../test/support/nodeRuntime.js';
import { suiteNamed } from './suites.js';
import type { CaseBase } from './suite.js';
import type { TimingPlan } from './timing.js';

export interface ChildRequest {
  benchCase: CaseBase;
  plan: TimingPlan;
}

// If the runner goes away (Ctrl-C, killed), so does the case.
process.once('disconnect', () => process.exit(1));

process.once('message', (request: ChildRequest) => {
  suiteNamed(request.benchCase.suite)
    .measure(request.benchCase, request.plan)
    .then(
      (measured) => ({ ok: true, measured }),
      (error: unknown) => ({ ok: false, error: error instanceof Error ? error.message : String(error) }),
    )
    // Exit explicitly: a backend's worker pool may otherwise keep this process alive.
    .then((reply) => process.send?.(reply, () => process.exit(0)));
});
