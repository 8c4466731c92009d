import { InputError, type FileInfo, type TargetReader } from '@xen-gentoo/core';
import {
  checkPortageCompat,
  evaluateMakeConf,
  ExpansionLimitError,
  listSources,
  MakeConfParseError,
  parseMakeConf,
  type MakeConfDocument,
  type UnreadableSource,
} from '@xen-gentoo/make-conf';
import type { ShellConfFile } from './make-conf-file.js';
import { follow, portageFileList } from './portage-files.js';

/** The make.conf paths Portage reads, in its order; a later assignment wins. */
export const MAKE_CONF_PATHS = ['/etc/make.conf', '/etc/portage/make.conf'] as const;

/** How deep `source` lines may nest (each round reads the files named one level deeper); deeper is bad input. */
const MAX_SOURCE_ROUNDS = 16;

/** A make.conf the tool edits, with everything Portage reads around it. */
export interface MakeConfSet extends ShellConfFile {
  /** Every file Portage reads as make.conf, in order; the edited file is the last one. */
  files: string[];
  /** Files named by `source` lines (read, never edited). */
  sourced: string[];
}

/**
 * The files Portage reads for one make.conf path: the file itself, or the files of a directory and
 * its subdirectories in sorted order, skipping names that start with "." or end with "~" and
 * version-control directories (Portage's `_recursive_file_list`).
 */
async function filesOf(
  view: TargetReader,
  path: string,
): Promise<{ files: string[]; directory?: string; dangling?: string }> {
  const { path: real, kind } = await follow(view, path);
  // A link to nothing: a new make.conf is written where it leads, as the engine writes through it.
  if (kind === undefined) return real === path ? { files: [] } : { files: [], dangling: real };
  if (kind === 'file') return { files: [real] };
  if (kind !== 'directory')
    throw new InputError(
      path,
      undefined,
      'is neither a file nor a directory',
      'a make.conf file or directory',
    );
  const files = await portageFileList(view, real);
  return { files, directory: real };
}

function parse(text: string, path: string): MakeConfDocument {
  try {
    return parseMakeConf(text, path);
  } catch (error) {
    if (error instanceof MakeConfParseError)
      throw new InputError(error.file, error.line, error.problem, error.expected);
    throw error;
  }
}

/** The issues Portage has with a file, as warnings; an error stops everything (bad input). */
function check(doc: MakeConfDocument, context: Parameters<typeof checkPortageCompat>[1]): string[] {
  const issues = checkPortageCompat(doc, context);
  const fatal = issues.find((issue) => issue.severity === 'error');
  if (fatal) throw new InputError(fatal.file, fatal.line, fatal.message, 'a line Portage can read');
  return issues.map((issue) => `${issue.file}:${issue.line}: ${issue.message}`);
}

/**
 * Reads make.conf the way Portage does: /etc/make.conf, then /etc/portage/make.conf (each a file or a
 * directory of files), one after the other with a shared set of variables, following `source` lines.
 * Variables whose names start with `__` are dropped, as Portage drops them.
 *
 * Edits go to the last file Portage reads, so they win over the files before it: the make.conf file,
 * or the last file of a make.conf directory (a new `xen-gentoo.conf` in it when it is empty), or
 * `fallback` when there is no make.conf yet. Any file Portage could not read is bad input, named
 * with its line.
 */
export async function readMakeConfSet(view: TargetReader, fallback: string): Promise<MakeConfSet> {
  const last = memo.get(view);
  if (last?.fallback === fallback && (await replay(view, last.reads))) return last.result;
  const recorder = new ReadRecorder(view);
  const result = await readUncached(recorder, fallback).catch((error: unknown) => {
    if (error instanceof ExpansionLimitError)
      throw new InputError(
        error.file,
        error.line,
        `the values expand to more than ${error.limit / (1024 * 1024)} Mi characters in all (a variable that adds to itself on line after line?)`,
        'a make.conf whose values come to less',
      );
    throw error;
  });
  memo.set(view, { fallback, reads: recorder.reads, result });
  return result;
}

interface Read {
  op: 'readFile' | 'stat' | 'readlink' | 'list';
  path: string;
  /** What the read returned (for stat, only the kind), as JSON. */
  result: string;
}

/** The last set read from each target, with every read it was made of. */
const memo = new WeakMap<TargetReader, { fallback: string; reads: Read[]; result: MakeConfSet }>();

const outcome = async (view: TargetReader, op: Read['op'], path: string): Promise<string> =>
  JSON.stringify(op === 'stat' ? ((await view.stat(path))?.kind ?? null) : ((await view[op](path)) ?? null));

/** Whether every read gives what it gave before: then the set read from them is the same. */
async function replay(view: TargetReader, reads: Read[]): Promise<boolean> {
  for (const read of reads) if ((await outcome(view, read.op, read.path)) !== read.result) return false;
  return true;
}

/** Passes reads through and notes each one, so a later call can tell whether anything changed. */
class ReadRecorder implements TargetReader {
  readonly reads: Read[] = [];
  constructor(private readonly view: TargetReader) {}
  get root(): string {
    return this.view.root;
  }
  async readFile(path: string): Promise<string | undefined> {
    const text = await this.view.readFile(path);
    this.reads.push({ op: 'readFile', path, result: JSON.stringify(text ?? null) });
    return text;
  }
  async stat(path: string): Promise<FileInfo | undefined> {
    const info = await this.view.stat(path);
    this.reads.push({ op: 'stat', path, result: JSON.stringify(info?.kind ?? null) });
    return info;
  }
  async readlink(path: string): Promise<string | undefined> {
    const target = await this.view.readlink(path);
    this.reads.push({ op: 'readlink', path, result: JSON.stringify(target ?? null) });
    return target;
  }
  async list(path: string): Promise<string[] | undefined> {
    const names = await this.view.list(path);
    this.reads.push({ op: 'list', path, result: JSON.stringify(names ?? null) });
    return names;
  }
}

async function readUncached(view: TargetReader, fallback: string): Promise<MakeConfSet> {
  const files: string[] = [];
  let directory: string | undefined;
  let newFile = fallback;
  for (const path of MAKE_CONF_PATHS) {
    const found = await filesOf(view, path);
    if (path === fallback && found.dangling !== undefined) newFile = found.dangling;
    if (found.files.length === 0 && found.directory === undefined) continue;
    directory = found.directory;
    for (const file of found.files) if (!files.includes(file)) files.push(file);
  }
  const target =
    directory !== undefined && !files.some((f) => f.startsWith(`${directory}/`))
      ? `${directory}/xen-gentoo.conf`
      : (files.at(-1) ?? newFile);
  if (!files.includes(target)) files.push(target);

  const sources = new Map<string, string | UnreadableSource>();
  const load = async (path: string): Promise<string | UnreadableSource> => {
    const { path: real, kind } = await follow(view, path);
    if (kind === 'directory') return { problem: 'is a directory' };
    return (kind === undefined ? undefined : await view.readFile(real)) ?? { problem: 'no such file' };
  };
  const warnings: string[] = [];
  const checkedSources = new Set<string>();

  let vars: Record<string, string> = {};
  let edited: { text: string | null; doc: MakeConfDocument; initial: Record<string, string> } | undefined;
  for (const path of files) {
    const text = (await view.readFile(path)) ?? null;
    const doc = parse(text ?? '', path);
    const initial = vars;
    for (let round = 0; ; round++) {
      const wanted = listSources(doc, { initial, sources }).filter((s) => !sources.has(s.path));
      if (wanted.length === 0) break;
      const deep = wanted[0];
      if (round === MAX_SOURCE_ROUNDS && deep !== undefined)
        throw new InputError(
          deep.from,
          deep.line,
          `source ${deep.path}: sourced files nest more than ${MAX_SOURCE_ROUNDS} deep`,
          `at most ${MAX_SOURCE_ROUNDS} nested source files`,
        );
      for (const s of wanted) sources.set(s.path, await load(s.path));
    }
    for (const [sourced, content] of sources) {
      if (checkedSources.has(sourced) || typeof content !== 'string') continue;
      checkedSources.add(sourced);
      warnings.push(...check(parse(content, sourced), { sources }));
    }
    warnings.push(...check(doc, { initial, sources }));
    vars = { ...initial, ...Object.fromEntries(evaluateMakeConf(doc, initial, sources)) };
    if (path === target) edited = { text, doc, initial };
  }
  if (edited === undefined) throw new Error(`${target}: not read`);
  const visible = new Map(Object.entries(vars).filter(([name]) => !name.startsWith('__')));
  return {
    path: target,
    text: edited.text,
    doc: edited.doc,
    vars: visible,
    warnings,
    context: { initial: edited.initial, sources },
    files,
    sourced: [...sources.keys()],
  };
}
