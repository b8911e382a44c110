// The output set (src/io/outputSet.ts): every output checked before any work, all committed or none,
// no-replace commits, only regular files replaced, leftovers of killed runs removed.
import { execFileSync } from 'node:child_process';
import { lstatSync, readdirSync, statSync } from 'node:fs';
import { chmod, link, lstat, mkdir, mkdtemp, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NmsparseError } from '../../src/core/errors.js';
import { createAtomicFile, writeBytesAtomic } from '../../src/io/atomicWrite.js';
import { OutputSet, writeOutputs, type OutputSetOptions, type OutputSpec } from '../../src/io/outputSet.js';
import { removeLiveTempsSync } from '../../src/io/tempFiles.js';
import { mountSmallTmpfs, unmount } from '../support/smallDisk.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nmsparse-outputs-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const bytes = (text: string) => new TextEncoder().encode(text);
const at = (name: string) => join(dir, name);
const text = async (name: string) => (await readFile(at(name))).toString();

/** Writes `content[i]` to output i through a set and commits; returns the error if any. */
async function writeAll(outputs: readonly OutputSpec[], content: readonly string[], options: OutputSetOptions = {}): Promise<unknown> {
  try {
    await writeOutputs(outputs, options, async (set) => {
      for (const [i, o] of outputs.entries()) await set.file(o.path).write(bytes(content[i] as string));
    });
    return undefined;
  } catch (err) {
    return err;
  }
}

function expectIoError(err: unknown, message: RegExp): void {
  expect(err).toBeInstanceOf(NmsparseError);
  expect(err).toMatchObject({ code: 'E_IO', message: expect.stringMatching(message) });
}

/** Names in the folder, temporary files included. */
const listing = () => readdirSync(dir).sort();

describe('output checks before any work', () => {
  it('refuses names that are folders, missing folders and unwritable places; the work never starts', async () => {
    await mkdir(at('sub'));
    await writeFile(at('file'), 'x');
    const cases: Array<[string, RegExp]> = [
      ['', /is empty/],
      [at('newdir') + '/', /names a folder/],
      [at('sub'), /is a directory/],
      [at('sub') + '/.', /names a folder/],
      [`${at('sub')}/..`, /names a folder/],
      [at('missing/out.npy'), /folder .*missing does not exist/],
      [at('file/out.npy'), /folder .*file does not exist|not a folder/],
    ];
    for (const [path, message] of cases) {
      let started = false;
      const err = await writeOutputs([{ path, label: '-o' }], { force: true }, async () => {
        started = true;
      }).catch((e: unknown) => e);
      expectIoError(err, message);
      expect(started).toBe(false);
    }
    expect(listing()).toEqual(['file', 'sub']);
    expect(readdirSync(at('sub'))).toEqual([]);
  });

  it('refuses a device, a FIFO and a socket even with force, and leaves them as they are', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(at('sock'), resolve));
    try {
      const nodes = ['/dev/null', at('sock')];
      try {
        execFileSync('mkfifo', [at('fifo')]);
        nodes.push(at('fifo'));
      } catch {
        console.log('mkfifo is not available here: the FIFO case is skipped');
      }
      for (const path of nodes) {
        for (const force of [false, true]) {
          expectIoError(await writeAll([{ path, label: '-o' }], ['data'], { force }), /is a (device|FIFO|socket); nmsparse writes regular files only/);
        }
      }
      expect(statSync('/dev/null').isCharacterDevice()).toBe(true);
      if (nodes.length === 3) expect(lstatSync(at('fifo')).isFIFO()).toBe(true);
      expect(lstatSync(at('sock')).isSocket()).toBe(true);
    } finally {
      server.close();
    }
  });

  it('a symbolic link is refused without force; with force the link itself is replaced, never its target', async () => {
    await writeFile(at('target'), 'precious');
    await symlink(at('target'), at('link'));
    expectIoError(await writeAll([{ path: at('link') }], ['new']), /is a symbolic link; --force replaces the link itself/);
    expect(await readlink(at('link'))).toBe(at('target'));
    expect(await writeAll([{ path: at('link') }], ['new'], { force: true })).toBeUndefined();
    expect((await lstat(at('link'))).isFile()).toBe(true);
    expect(await text('link')).toBe('new');
    expect(await text('target')).toBe('precious');
  });

  it('a dangling symbolic link is replaced with force, and nothing is created where it pointed', async () => {
    await symlink(at('nowhere'), at('dangling'));
    expectIoError(await writeAll([{ path: at('dangling') }], ['x']), /symbolic link/);
    expect(await writeAll([{ path: at('dangling') }], ['x'], { force: true })).toBeUndefined();
    expect(await text('dangling')).toBe('x');
    expect(listing()).toEqual(['dangling']);
  });

  it('a loop of symbolic links is a link like any other, as an output or an input', async () => {
    await symlink(at('loop'), at('loop'));
    await symlink(at('input-loop'), at('input-loop'));
    const options = { inputs: [at('input-loop')] };
    expectIoError(await writeAll([{ path: at('loop') }], ['x'], options), /symbolic link/);
    expect(await writeAll([{ path: at('loop') }], ['x'], { ...options, force: true })).toBeUndefined();
    expect(await text('loop')).toBe('x');
  });

  it('an existing file is refused without force and replaced with it', async () => {
    await writeFile(at('out'), 'old');
    expectIoError(await writeAll([{ path: at('out'), label: '--mask-out' }], ['new']), /^--mask-out .*out already exists; use --force/);
    expect(await text('out')).toBe('old');
    expect(await writeAll([{ path: at('out') }], ['new'], { force: true })).toBeUndefined();
    expect(await text('out')).toBe('new');
    expect(listing()).toEqual(['out']);
  });

  it('a read-only folder is refused before any work', async (context) => {
    if (process.getuid?.() === 0) {
      console.log('running as root: permissions do not stop writes, so the read-only folder case is skipped');
      context.skip();
    }
    await mkdir(at('ro'));
    await chmod(at('ro'), 0o555);
    expectIoError(await writeAll([{ path: at('ro/out') }], ['x']), /^output .*ro\/out cannot be written: cannot write in folder .*ro: .*\(EACCES\)/);
    await chmod(at('ro'), 0o755);
  });
});

describe('outputs are distinct from each other and from every input', () => {
  /**
   * A fixture of names and a property over random choices of outputs among them. The oracle is
   * independent of src/io: two names are the same file when they resolve to the same absolute path
   * after following every link, or to the same inode.
   */
  const NAMES = ['in', 'in-hard', 'in-sym', 'free', 'free-hard', 'free-sym', 'sub/../free', 'new1', 'new2', 'sub/../new1', 'subsym/new2', 'dir'];

  async function fixture(): Promise<void> {
    await writeFile(at('in'), 'input');
    await link(at('in'), at('in-hard'));
    await symlink(at('in'), at('in-sym'));
    await writeFile(at('free'), 'free');
    await link(at('free'), at('free-hard'));
    await symlink('free', at('free-sym'));
    await mkdir(at('sub'));
    await symlink(at('sub'), at('subsym'));
    await mkdir(at('dir'));
  }

  /** What the oracle knows of a name: every path and inode it may denote. */
  function ids(name: string): string[] {
    const path = at(name);
    const out = [join(dir, name)];
    try {
      const s = statSync(path);
      out.push(`inode ${s.dev}:${s.ino}`);
    } catch {
      // does not exist (yet)
    }
    // The location after resolving folder links: subsym/new2 is sub/new2.
    out.push(join(dir, name.replace(/^subsym\//, 'sub/')));
    return out;
  }

  function expected(outputs: string[], force: boolean): RegExp | undefined {
    const input = ids('in');
    for (const [i, name] of outputs.entries()) {
      if (name === 'dir') return /is a directory/;
      const mine = ids(name);
      if (mine.some((x) => input.includes(x))) return /also an input|same file as input/;
      if (outputs.slice(0, i).some((other) => ids(other).some((x) => mine.includes(x)))) return /same file as/;
      if (lstatExists(at(name)) && !force) return /already exists|symbolic link/;
    }
    return undefined;
  }

  function lstatExists(path: string): boolean {
    try {
      lstatSync(path);
      return true;
    } catch {
      return false;
    }
  }

  it('same file by path, real path or inode is refused; otherwise all outputs are written (seeded property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.constantFrom(...NAMES), { minLength: 1, maxLength: 3 }), fc.boolean(), async (names, force) => {
        await rm(dir, { recursive: true, force: true });
        await mkdir(dir);
        await fixture();
        const before = listing();
        const want = expected(names, force);
        const content = names.map((n, i) => `output ${i} ${n}`);
        const err = await writeAll(names.map((n, i) => ({ path: at(n), label: `out${i}` })), content, { force, inputs: [at('in')] });
        expect(await text('in')).toBe('input');
        if (want) {
          expectIoError(err, want);
          expect(listing()).toEqual(before);
          expect(await text('free')).toBe('free');
          return;
        }
        expect(err).toBeUndefined();
        for (const [i, n] of names.entries()) {
          expect(lstatSync(at(n)).isFile()).toBe(true);
          expect(await text(n)).toBe(content[i]);
        }
        expect(listing().filter((n) => n.endsWith('.tmp'))).toEqual([]);
      }),
      { seed: 1010, numRuns: 120 },
    );
  });

  it('says which flag clashes with which', async () => {
    await writeFile(at('w.npy'), 'w');
    const err = await writeAll([{ path: at('p.npy'), label: '-o' }, { path: at('p.npy'), label: '--mask-out' }], ['a', 'b'], { force: true, inputs: [at('w.npy')] });
    expectIoError(err, /^--mask-out .*p\.npy is the same file as -o .*p\.npy/);
    expectIoError(await writeAll([{ path: at('w.npy'), label: '-o' }], ['a'], { force: true, inputs: [at('w.npy')] }), /^-o .*w\.npy is also an input/);
    expect(listing()).toEqual(['w.npy']);
  });
});

describe('all outputs appear, or none', () => {
  it('an output that appears while writing fails the commit: nothing of this run appears, the newcomer is kept', async () => {
    const outputs = [{ path: at('a'), label: '-o' }, { path: at('b'), label: '--mask-out' }];
    const err = await writeOutputs(outputs, {}, async (set) => {
      await set.file(at('a')).write(bytes('run a'));
      await set.file(at('b')).write(bytes('run b'));
      await writeFile(at('b'), 'other run'); // a concurrent run committed b meanwhile
    }).catch((e: unknown) => e);
    expectIoError(err, /^--mask-out .*b appeared while this run was writing it/);
    expect(listing()).toEqual(['b']);
    expect(await text('b')).toBe('other run');
  });

  it('with force, a failure of a later output restores the earlier ones it had replaced', async () => {
    await writeFile(at('a'), 'old a');
    await symlink(at('a'), at('link-to-a'));
    const outputs = [{ path: at('a') }, { path: at('b') }];
    const err = await writeOutputs(outputs, { force: true }, async (set) => {
      await set.file(at('a')).write(bytes('new a'));
      await set.file(at('b')).write(bytes('new b'));
      await mkdir(at('b')); // b became a folder meanwhile: it cannot be replaced
    }).catch((e: unknown) => e);
    expectIoError(err, /b became a directory while this run was writing it/);
    expect(await text('a')).toBe('old a');
    expect(listing()).toEqual(['a', 'b', 'link-to-a']);
  });

  it('of two sets writing the same output, exactly one commits; the other leaves nothing', async () => {
    const path = at('out');
    const first = await OutputSet.create([{ path }]);
    const second = await OutputSet.create([{ path }]);
    await first.file(path).write(bytes('first'));
    await second.file(path).write(bytes('second'));
    await second.commit();
    expectIoError(await first.commit().catch((e: unknown) => e), /appeared while this run was writing it/);
    expect(await text('out')).toBe('second');
    expect(listing()).toEqual(['out']);
  });

  it('cancellation before the commit discards everything', async () => {
    const controller = new AbortController();
    const err = await writeOutputs([{ path: at('a') }, { path: at('b') }], { signal: controller.signal }, async (set) => {
      await set.file(at('a')).write(bytes('a'));
      controller.abort();
      await set.file(at('b')).write(bytes('b'));
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_ABORTED' });
    expect(listing()).toEqual([]);
  });

  it('a run may commit inside writeOutputs to report after it; a discarded set cannot commit', async () => {
    let committedInside = false;
    await writeOutputs([{ path: at('a') }], {}, async (set) => {
      await set.file(at('a')).write(bytes('a'));
      await set.commit();
      committedInside = listing().includes('a');
    });
    expect(committedInside).toBe(true);
    expect(listing()).toEqual(['a']);
    const set = await OutputSet.create([{ path: at('b') }]);
    await set.discard();
    expectIoError(await set.commit().catch((e: unknown) => e), /were discarded/);
  });

  it('an output that was declared but never written is an error, not an empty file', async () => {
    expectIoError(await writeOutputs([{ path: at('a'), label: '--apply' }], {}, async () => undefined).catch((e: unknown) => e), /--apply .*a was declared but nothing was written/);
    expect(listing()).toEqual([]);
  });

  it('removeLiveTempsSync removes the temporary files of open sets (what a signal handler calls)', async () => {
    const set = await OutputSet.create([{ path: at('a') }, { path: at('b') }]);
    await set.file(at('a')).write(bytes('a'));
    expect(listing()).toHaveLength(2);
    removeLiveTempsSync();
    expect(listing()).toEqual([]);
    await set.discard();
  });

  it('the one-file API keeps its contract: refuse, then replace with force, no temporary file left', async () => {
    await writeBytesAtomic(at('one'), bytes('1'));
    expectIoError(await writeBytesAtomic(at('one'), bytes('2')).catch((e: unknown) => e), /already exists/);
    const file = await createAtomicFile(at('one'), { force: true });
    await file.write(bytes('2'));
    await file.commit();
    await file.discard();
    expect(await text('one')).toBe('2');
    expect(listing()).toEqual(['one']);
  });
});

describe('temporary files of killed runs', () => {
  /** Beyond every platform's pid range, so no process has it. */
  const DEAD_PID = 999_999_999;

  it('are named .NAME.nmsparse-<pid>-<hex>.tmp beside the output', async () => {
    const set = await OutputSet.create([{ path: at('w.npy') }]);
    expect(listing()).toEqual([expect.stringMatching(new RegExp(`^\\.w\\.npy\\.nmsparse-${process.pid}-[0-9a-f]{12}\\.tmp$`))]);
    await set.discard();
  });

  it('of dead processes are removed and reported; those of live processes and other files stay', async () => {
    const dead = [`.out.npy.nmsparse-${DEAD_PID}-0a1b2c.tmp`, `.out.npy.${DEAD_PID}-0123456789ab.tmp`, `.out.npy.nmsparse-${process.pid}-ffff.tmp`];
    const kept = [`.out.npy.nmsparse-${process.ppid}-abcd.tmp`, `.other.npy.nmsparse-${DEAD_PID}-abcd.tmp`, '.out.npy.nmsparse-x-abcd.tmp', 'out.npy.bak'];
    for (const name of [...dead, ...kept]) await writeFile(at(name), 'partial');
    const reported: string[][] = [];
    expect(await writeAll([{ path: at('out.npy') }], ['new'], { onLeftovers: (removed) => reported.push(removed) })).toBeUndefined();
    expect(reported).toHaveLength(1);
    expect([...(reported[0] as string[])].sort()).toEqual(dead.map(at).sort());
    expect(listing()).toEqual([...kept, 'out.npy'].sort());
  });

  it('of a long output name are found too (the name is cut to fit)', async () => {
    const name = 'é'.repeat(120); // 240 bytes: with the decoration it would pass the 255-byte limit
    const set = await OutputSet.create([{ path: at(name) }]);
    const temp = listing()[0] as string;
    await set.discard();
    await writeFile(at(temp.replace(`-${process.pid}-`, `-${DEAD_PID}-`)), 'partial');
    const reported: string[] = [];
    expect(await writeAll([{ path: at(name) }], ['x'], { onLeftovers: (r) => reported.push(...r) })).toBeUndefined();
    expect(reported).toHaveLength(1);
    expect(listing()).toEqual([name]);
  });
});

describe('full disk', () => {
  it('a write that runs out of space fails with E_IO, leaves no temporary file and keeps the old output', async (context) => {
    const mnt = at('small');
    await mkdir(mnt);
    const why = mountSmallTmpfs(mnt, '64k');
    if (why) {
      console.log(`${why}: the full-disk case is skipped`);
      context.skip();
    }
    try {
      await writeFile(join(mnt, 'out'), 'old');
      const big = new Uint8Array(1 << 20);
      const err = await writeOutputs([{ path: join(mnt, 'out') }, { path: join(mnt, 'second') }], { force: true }, async (set) => {
        await set.file(join(mnt, 'second')).write(bytes('small'));
        await set.file(join(mnt, 'out')).write(big);
      }).catch((e: unknown) => e);
      expectIoError(err, /cannot write .*out: no space left on device \(ENOSPC\)/);
      expect(readdirSync(mnt)).toEqual(['out']);
      expect((await readFile(join(mnt, 'out'))).toString()).toBe('old');
    } finally {
      unmount(mnt);
    }
  });
});
