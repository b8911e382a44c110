// The audit engine, internal to the package: the CLI's `nmsparse audit` runs it, and nmsparse/testing
// shares its case families and its judge.
export { audit, type AuditOptions, type AuditSummary, type CaseRecord } from './engine.js';
export { FAMILIES, type Family, type CaseSpec, type ScoreCase } from './families.js';
export type { FailureKind, Problem } from './judge.js';
