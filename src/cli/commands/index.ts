// Every subcommand, in the order `nmsparse --help` lists them. A new command is a module here and a line below.
import type { Command } from '../command.js';
import { auditCommand } from './audit.js';
import { demoCommand } from './demo.js';
import { inspectCommand } from './inspect.js';
import { maskCommand } from './mask.js';
import { mergeCommand } from './merge.js';
import { pruneCommand } from './prune.js';
import { prune24Command } from './prune24.js';
import { verifyCommand } from './verify.js';

export const COMMANDS: readonly Command[] = [maskCommand, mergeCommand, verifyCommand, auditCommand, inspectCommand, demoCommand, pruneCommand, prune24Command];
