import { isatty } from 'node:tty';
import { importOnDemand } from '@xen-gentoo/core';

/** One line of progress: a title shown when the task starts, and a task that may retitle it. */
export interface ProgressTask {
  title: string;
  task: (retitle: (title: string) => void) => Promise<void>;
}

export type ProgressRenderer = 'default' | 'simple' | 'silent';

/**
 * Whether listr2's simple renderer would colour its icons: the same test as colorette, the
 * library listr2 colours with (NO_COLOR or --no-color off; FORCE_COLOR or --color, a terminal
 * other than a dumb one, or CI on GitHub Actions, GitLab or CircleCI on).
 */
export function listrWouldColor(
  env: NodeJS.ProcessEnv = process.env,
  argv: string[] = process.argv,
): boolean {
  if ('NO_COLOR' in env || argv.includes('--no-color')) return false;
  if ('FORCE_COLOR' in env || argv.includes('--color')) return true;
  if (process.platform === 'win32' && env.TERM !== 'dumb') return true;
  if (isatty(1) && env.TERM && env.TERM !== 'dumb') return true;
  return 'CI' in env && ('GITHUB_ACTIONS' in env || 'GITLAB_CI' in env || 'CIRCLECI' in env);
}

/** The renderer a run uses: none for JSON, listr2's on a terminal, lines otherwise. */
export function progressRenderer(json: boolean): ProgressRenderer {
  if (json) return 'silent';
  return process.stdout.isTTY && !process.env.CI ? 'default' : 'simple';
}

/** listr2's figures where the terminal is not known to show Unicode (Windows). */
function figures(): { started: string; completed: string; failed: string } {
  const unicode =
    !!process.env.LISTR_FORCE_UNICODE ||
    process.platform !== 'win32' ||
    !!process.env.CI ||
    !!process.env.WT_SESSION ||
    process.env.TERM_PROGRAM === 'vscode' ||
    process.env.TERM === 'xterm-256color' ||
    process.env.TERM === 'alacritty';
  return unicode
    ? { started: '❯', completed: '✔', failed: '✖' }
    : { started: '>', completed: '√', failed: '×' };
}

/** A title as listr2's logger prints it: each non-blank line with the icon, and the suffix. */
function logLines(icon: string, title: string, suffix = ''): string {
  return title
    .split('\n')
    .filter((line) => !line || line.trim() !== '')
    .map((line) => (suffix ? `${line ? `${line} ` : ''}${suffix}` : line))
    .map((line) => (line ? `${icon} ${line}` : line))
    .join('\n');
}

/** The tasks as listr2 takes them: a title, and a task that may retitle itself. */
export function listrTasks(tasks: ProgressTask[]) {
  return tasks.map((t) => ({
    title: t.title,
    task: async (_: unknown, task: { title: string }) =>
      t.task((title) => {
        task.title = title;
      }),
  }));
}

/**
 * Runs the tasks one after another, stopping at the first failure (which is thrown). On a
 * terminal, or where listr2 would colour, listr2 draws them; with JSON nothing is drawn; else the
 * same lines as listr2's simple renderer are written without loading listr2 (it costs start-up).
 */
export async function runProgress(tasks: ProgressTask[], renderer: ProgressRenderer): Promise<void> {
  if (renderer === 'default' || (renderer === 'simple' && listrWouldColor())) {
    const { Listr } = await importOnDemand('listr2', () => import('listr2'));
    await new Listr(listrTasks(tasks), {
      concurrent: false,
      exitOnError: true,
      renderer,
      fallbackRenderer: 'simple',
      registerSignalListeners: false,
    }).run();
    return;
  }
  const icons = renderer === 'simple' ? figures() : undefined;
  for (const t of tasks) {
    let title = t.title;
    if (icons) process.stdout.write(`${logLines(icons.started, title)}\n`);
    try {
      await t.task((next) => {
        title = next;
      });
    } catch (error) {
      const message = (error as { message?: string } | undefined)?.message ?? title;
      if (icons && message)
        process.stderr.write(`${logLines(icons.failed, title, `[FAILED: ${message}]`)}\n`);
      throw error;
    }
    if (icons) process.stdout.write(`${logLines(icons.completed, title)}\n`);
  }
}
