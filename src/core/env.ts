// Reading an environment variable where there may be no environment, or no permission to read it
// (Deno without --allow-env throws on process.env access; browsers and workers have no process).

/** The variable's value, or undefined when it is unset or cannot be read. */
export function readEnv(name: string): string | undefined {
  try {
    return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name];
  } catch {
    return undefined;
  }
}
