import { ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, chown, cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { args, command, envOf, finalStage, parseCopy, parseDockerfile, ROOT, Stage } from './dockerfile';

/** Who runs the replayed image (the image's USER does not exist on this machine). */
export interface RunUser {
  name: string;
  uid: number;
  gid: number;
}

export function nobody(): RunUser {
  const id = (flag: string) => Number(execFileSync('id', [flag, 'nobody'], { encoding: 'utf8' }).trim());
  return { name: 'nobody', uid: id('-u'), gid: id('-g') };
}

/** The image's file system, laid out under `root` (`/app` is `<root>/app`). */
export interface ReplayedImage {
  root: string;
  stage: Stage;
  /** A path of the image, on this machine. */
  at(imagePath: string): string;
  /** The final stage's WORKDIR, on this machine. */
  workdir: string;
  /** The final stage's ENV, with VOLUME paths mapped onto this machine. */
  env: Record<string, string>;
  /** What each RUN printed, for failure messages. */
  log: string;
  /** Removes the image and the build's temp directories. */
  remove(): Promise<void>;
}

/** The build context `docker build .` would send: the tracked files, minus `.dockerignore`. */
function contextFiles(): string[] {
  const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const matches = (file: string, pattern: string) => {
    const glob = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}(/|$)`);
    return glob.test(file) || (!pattern.includes('/') && glob.test(posix.basename(file)));
  };
  return execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' })
    .split('\0')
    .filter((file) => file && existsSync(join(ROOT, file)))
    .filter((file) => !ignored.some((pattern) => matches(file, pattern)));
}

/**
 * PATH of a RUN: this run's Node (the project's Node 24, as the image's base has) before the
 * system's tools. npm's cache of this machine is used offline first (the registry otherwise).
 */
function runEnv(stageEnv: Record<string, string>): Record<string, string> {
  return {
    PATH: `${dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`,
    HOME: homedir(),
    npm_config_prefer_offline: 'true',
    npm_config_update_notifier: 'false',
    ...stageEnv,
  };
}

/**
 * Replays the Dockerfile on this machine (Docker does not run here): the build stage's WORKDIR,
 * COPY, ENV and RUN in order, as root, in a temp directory standing for the image's `/`; then
 * the final stage's COPY --from, which is all the final image holds of the build. RUN lines of
 * the final stage (image set-up such as creating the data volume) are not run here: they would
 * act on this machine's `/`; the VOLUME directories they prepare are created for `user` instead.
 */
export async function replayImage(user: RunUser): Promise<ReplayedImage> {
  const stages = parseDockerfile();
  const root = await mkdtemp(join(tmpdir(), 'cartsync-image-'));
  await chmod(root, 0o755); // the image's directories are readable by its user
  const context = await mkdtemp(join(tmpdir(), 'cartsync-context-'));
  const temporary = [root, context];
  const remove = async () => {
    for (const dir of new Set(temporary)) await rm(dir, { recursive: true, force: true });
  };
  try {
    return await replayInto(root, context, temporary, stages, user, remove);
  } catch (error) {
    await remove();
    throw error;
  }
}

async function replayInto(
  root: string,
  context: string,
  temporary: string[],
  stages: Stage[],
  user: RunUser,
  remove: () => Promise<void>,
): Promise<ReplayedImage> {
  const final = finalStage(stages);
  for (const file of contextFiles()) {
    await mkdir(dirname(join(context, file)), { recursive: true });
    await cp(join(ROOT, file), join(context, file), { verbatimSymlinks: true });
  }
  const stageRoots = new Map<string, string>();
  let log = '';
  for (const [index, stage] of stages.entries()) {
    const stageRoot = stage === final ? root : await mkdtemp(join(tmpdir(), `cartsync-image-stage-${index}-`));
    stageRoots.set(stage.name ?? String(index), stageRoot);
    temporary.push(stageRoot);
    const at = (path: string) => join(stageRoot, path);
    let workdir = '/';
    const env: Record<string, string> = {};
    for (const { keyword, args: line } of stage.instructions) {
      switch (keyword) {
        case 'WORKDIR':
          workdir = posix.resolve(workdir, line);
          await mkdir(at(workdir), { recursive: true });
          break;
        case 'ENV':
          Object.assign(env, envOf({ ...stage, instructions: [{ keyword, args: line }] }));
          break;
        case 'COPY': {
          const copy = parseCopy(line);
          const fromRoot = copy.from === null ? context : stageRoots.get(copy.from);
          if (!fromRoot) throw new Error(`COPY --from=${copy.from}: no such stage`);
          const dest = at(posix.resolve(workdir, copy.dest));
          const intoDir = copy.dest.endsWith('/') || copy.sources.length > 1;
          for (const source of copy.sources) {
            const from = copy.from === null ? join(context, source) : join(fromRoot, source);
            const to = intoDir ? join(dest, posix.basename(source)) : dest;
            await cp(from, source === '.' ? dest : to, { recursive: true, verbatimSymlinks: true });
            if (copy.chown) execFileSync('chown', ['-R', `${user.uid}:${user.gid}`, to]);
          }
          break;
        }
        case 'RUN': {
          if (stage === final) break;
          const result = spawnSync('/bin/sh', ['-c', line], {
            cwd: at(workdir),
            env: runEnv(env),
            encoding: 'utf8',
            maxBuffer: 64 * 1024 * 1024,
          });
          log += `$ ${line}\n${result.stdout}${result.stderr}`;
          if (result.status !== 0) throw new Error(`RUN ${line} failed (${result.status}):\n${log.slice(-6000)}`);
          break;
        }
        case 'USER':
        case 'EXPOSE':
        case 'VOLUME':
        case 'HEALTHCHECK':
        case 'CMD':
        case 'LABEL':
        case 'ARG':
          break;
        default:
          throw new Error(`Dockerfile: the replay does not know ${keyword}; teach test/container/replay.ts`);
      }
    }
  }
  const finalEnv = envOf(final);
  const volumes = args(final, 'VOLUME').flatMap((line) =>
    line.startsWith('[') ? (JSON.parse(line) as string[]) : line.split(/\s+/),
  );
  for (const volume of volumes) {
    await mkdir(join(root, volume), { recursive: true });
    await chown(join(root, volume), user.uid, user.gid);
  }
  for (const [name, value] of Object.entries(finalEnv)) {
    if (volumes.some((volume) => value === volume || value.startsWith(`${volume}/`)))
      finalEnv[name] = join(root, value);
  }
  const workdir = join(
    root,
    args(final, 'WORKDIR').reduce((dir, next) => posix.resolve(dir, next), '/'),
  );
  return {
    root,
    stage: final,
    at: (path) => join(root, path),
    workdir,
    env: finalEnv,
    log,
    remove,
  };
}

/** The image's CMD, run as `user` in its WORKDIR with its ENV plus `env`. */
export function runImage(image: ReplayedImage, user: RunUser, env: Record<string, string>): ChildProcess {
  const [file, ...rest] = command(args(image.stage, 'CMD').at(-1)!);
  return spawn(file, rest, {
    cwd: image.workdir,
    uid: user.uid,
    gid: user.gid,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: runEnv({}).PATH, ...image.env, ...env },
  });
}
