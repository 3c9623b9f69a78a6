/**
 * The Dockerfile cannot be built here (no Docker engine), so it is checked two ways: its structure
 * (stages, user, health check, volume, environment, entry point), and its build stage replayed in a
 * temp folder standing in for the image's filesystem: the same files copied to the same places, the
 * same build command run, and the binary the runtime stage copies started as the image starts it
 * (ENTRYPOINT + CMD with the image's ENV) and probed with the HEALTHCHECK command.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { startDemoApi, type RunningDemoApi } from '../../src/demo/server';
import { startPortico } from '../e2e/process';
import { removeTempDirs, ROOT, run, tempDir } from './run';

afterAll(removeTempDirs);

interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

/** Dockerfile instructions: comments dropped, `\` continuations joined. */
function parseDockerfile(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let pending = '';
  for (const line of text.split('\n')) {
    if (/^\s*#/.test(line) && pending === '') continue;
    const continued = /\\\s*$/.test(line);
    pending += `${line.replace(/\\\s*$/, '').trim()} `;
    if (continued) continue;
    const joined = pending.trim();
    pending = '';
    if (!joined) continue;
    const [, keyword, args] = /^(\S+)\s*(.*)$/.exec(joined)!;
    instructions.push({ keyword: keyword!.toUpperCase(), args: args!.replace(/\s+/g, ' ') });
  }
  return instructions;
}

interface Stage {
  readonly image: string;
  readonly name?: string;
  readonly instructions: Instruction[];
}

function stages(instructions: Instruction[]): Stage[] {
  const result: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const [image, as, name] = instruction.args.split(' ');
      result.push({ image: image!, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
    } else if (instruction.keyword !== 'ARG' || result.length > 0) {
      result.at(-1)!.instructions.push(instruction);
    }
  }
  return result;
}

const all = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);
const one = (stage: Stage, keyword: string) => {
  const found = all(stage, keyword);
  expect(found).toHaveLength(1);
  return found[0]!;
};
/** `ENV A=1 B=2` lines into one record (no quoted values in this Dockerfile). */
const env = (stage: Stage) => Object.fromEntries(all(stage, 'ENV').flatMap((args) => args.split(' ').map((pair) => pair.split('=', 2) as [string, string])));
/** `COPY [--from=x] [--chown=y] src… dest` */
function copies(stage: Stage) {
  return all(stage, 'COPY').map((args) => {
    const words = args.split(' ');
    const flags = Object.fromEntries(words.filter((w) => w.startsWith('--')).map((w) => w.slice(2).split('=', 2) as [string, string]));
    const paths = words.filter((w) => !w.startsWith('--'));
    return { from: flags.from, chown: flags.chown, sources: paths.slice(0, -1), dest: paths.at(-1)! };
  });
}

const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const [build, runtime, ...extra] = stages(parseDockerfile(dockerfile));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string>; devDependencies: Record<string, string> };

/** The path `bun run build` writes, read from the build script itself. */
async function buildOutfile(): Promise<string> {
  const { code, stdout } = await run([process.execPath, join(ROOT, 'src/cli/build.ts'), '--print'], { env: { PORTICO_COMMIT: 'x' } });
  expect(code).toBe(0);
  const words = stdout.trim().split(' ');
  expect(words.at(-2)).toBe('--outfile');
  return words.at(-1)!;
}

describe('Dockerfile', () => {
  test('two stages: the Bun image of package.json\'s Bun version builds, distroless runs', () => {
    expect(extra).toHaveLength(0);
    expect(build!.image).toBe(`oven/bun:${pkg.devDependencies.bun}`);
    expect(build!.name).toBe('build');
    expect(runtime!.image).toMatch(/^gcr\.io\/distroless\/cc-debian12(:nonroot)?$/);
  });

  test('the build stage installs from the lockfile and runs `bun run build`, i.e. package.json\'s build script', () => {
    expect(all(build!, 'RUN')).toEqual(['bun install --frozen-lockfile --production --ignore-scripts', 'bun run build', 'mkdir -p /data']);
    expect(pkg.scripts.build).toBe('bun src/cli/build.ts');
  });

  test('the build stage copies only files a fresh clone has, none of them excluded by .dockerignore', () => {
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
    const tracked = Bun.which('git') && existsSync(join(ROOT, '.git')) ? (path: string) => Bun.spawnSync(['git', 'ls-files', '--', path], { cwd: ROOT }).stdout.toString().trim() !== '' : () => true;
    for (const { from, sources } of copies(build!)) {
      expect(from).toBeUndefined();
      for (const source of sources) {
        expect(existsSync(join(ROOT, source))).toBe(true);
        expect(ignored).not.toContain(source);
        expect(tracked(source)).toBe(true);
      }
    }
  });

  test('the runtime stage holds only the binary `bun run build` writes, and the data folder', async () => {
    const outfile = await buildOutfile();
    expect(outfile).toBe('dist/portico');
    expect(all(runtime!, 'RUN')).toEqual([]); // distroless: there is no shell to run anything with
    expect(all(runtime!, 'ADD')).toEqual([]);
    expect(copies(runtime!)).toEqual([
      { from: 'build', chown: undefined, sources: [`${one(build!, 'WORKDIR')}/${outfile}`], dest: '/portico' },
      { from: 'build', chown: '65532:65532', sources: ['/data'], dest: '/data' },
    ]);
  });

  test('runs as a non-root user, with the data on a volume and the gateway reachable from outside', () => {
    const user = one(runtime!, 'USER');
    expect(user).toMatch(/^[1-9]\d*:[1-9]\d*$/); // numeric, so runAsNonRoot can check it
    expect(user).toBe(copies(runtime!)[1]!.chown!);
    expect(JSON.parse(one(runtime!, 'VOLUME'))).toEqual(['/data']);
    const vars = env(runtime!);
    expect(vars).toEqual({ PORTICO_HOST: '0.0.0.0', PORTICO_PORT: '8787', PORTICO_DATABASE_URL: '/data/portico.db' });
    expect(one(runtime!, 'EXPOSE')).toBe(vars.PORTICO_PORT!);
    expect(one(runtime!, 'WORKDIR')).toBe('/data');
    expect(JSON.parse(one(runtime!, 'ENTRYPOINT'))).toEqual(['/portico']);
    expect(JSON.parse(one(runtime!, 'CMD'))).toEqual(['serve']);
  });

  test('HEALTHCHECK runs `portico healthcheck` (exec form: no shell, no curl in the image)', () => {
    const healthcheck = one(runtime!, 'HEALTHCHECK');
    const [, options, command] = /^((?:--\S+ )*)CMD (\[.*\])$/.exec(healthcheck) ?? [];
    expect(options).toContain('--interval=');
    expect(options).toContain('--timeout=');
    expect(JSON.parse(command!)).toEqual(['/portico', 'healthcheck', '--quiet']);
  });
});

describe('the Dockerfile replayed in a temp folder', () => {
  let root = '';
  let demo: RunningDemoApi;
  /** A path in the image, in the temp folder. */
  const inImage = (path: string) => join(root, path);

  beforeAll(async () => {
    root = tempDir();
    demo = await startDemoApi();
    let workdir = '/';
    const args: Record<string, string> = {};
    for (const { keyword, args: rest } of build!.instructions) {
      if (keyword === 'WORKDIR') {
        workdir = rest;
        mkdirSync(inImage(workdir), { recursive: true });
      } else if (keyword === 'COPY') {
        const [copy] = copies({ ...build!, instructions: [{ keyword, args: rest }] });
        for (const source of copy!.sources) {
          const dest = copy!.dest.endsWith('/') ? join(inImage(workdir), copy!.dest, source) : join(inImage(workdir), copy!.dest);
          cpSync(join(ROOT, source), dest, { recursive: true });
        }
      } else if (keyword === 'ARG') {
        const [name, value = ''] = rest.split('=', 2);
        args[name!] = value;
      } else if (keyword === 'RUN' && rest.startsWith('bun install ')) {
        // the packages are the ones this checkout already installed (the install itself needs the registry)
        symlinkSync(join(ROOT, 'node_modules'), join(inImage(workdir), 'node_modules'));
      } else if (keyword === 'RUN' && rest === 'bun run build') {
        // as `docker build --build-arg PORTICO_COMMIT=…` passes it
        const built = await run([process.execPath, 'run', 'build'], { cwd: inImage(workdir), env: { ...args, PORTICO_COMMIT: 'c0ffee123456' } });
        if (built.code !== 0) throw new Error(`the build stage's build failed:\n${built.stdout}\n${built.stderr}`);
      } else if (keyword === 'RUN' && rest === 'mkdir -p /data') {
        mkdirSync(inImage('/data'), { recursive: true });
      } else if (keyword === 'RUN') {
        throw new Error(`this test does not know how to replay RUN ${rest}`);
      }
    }
  });

  afterAll(async () => {
    await demo?.stop();
  });

  test('the binary the runtime stage copies exists and reports the commit passed as a build argument', async () => {
    const [binary] = copies(runtime!);
    const path = inImage(binary!.sources[0]!);
    expect(existsSync(path)).toBe(true);
    const { code, stdout } = await run([path, '--version'], { cwd: inImage('/data') });
    expect(code).toBe(0);
    expect(stdout).toMatch(/^portico \S+ \(commit c0ffee123456\)\n$/);
  });

  test('started as the image starts it, it keeps its data in the volume and passes its HEALTHCHECK', async () => {
    const binary = inImage(copies(runtime!)[0]!.sources[0]!);
    const image = (argv: string[]) => argv.map((arg) => (arg === '/portico' ? binary : arg));
    const vars = env(runtime!);
    const server = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
    const port = String(server.port);
    server.stop(true);
    const containerEnv = {
      ...vars,
      PORTICO_PORT: port, // the image's 8787 may be taken on this machine
      PORTICO_DATABASE_URL: inImage(vars.PORTICO_DATABASE_URL!),
      PORTICO_UPSTREAM: demo.baseUrl,
      PORTICO_SPEC: demo.specUrl,
      PORTICO_LOGIN_USERNAME_FIELD: 'email',
    };
    const command = image([...JSON.parse(one(runtime!, 'ENTRYPOINT')), ...JSON.parse(one(runtime!, 'CMD'))]);
    // in the image's WORKDIR (relative defaults such as ./plugins resolve there); env execs, so SIGTERM reaches portico
    const gateway = await startPortico(['env', '-C', inImage(one(runtime!, 'WORKDIR')), ...command], containerEnv);
    try {
      expect(existsSync(inImage('/data/portico.db'))).toBe(true);
      const healthcheck = image(JSON.parse(/CMD (\[.*\])$/.exec(one(runtime!, 'HEALTHCHECK'))![1]!));
      const probe = await run(healthcheck, { env: containerEnv, cwd: inImage('/data') });
      expect(probe).toMatchObject({ code: 0, stderr: '' });
    } finally {
      expect(await gateway.stop()).toBe(0);
    }
  });
});
