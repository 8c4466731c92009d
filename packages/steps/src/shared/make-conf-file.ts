import { InputError, type FileChange, type View } from '@xen-gentoo/core';
import {
  checkPortageCompat,
  evaluateMakeConf,
  MakeConfParseError,
  parseMakeConf,
  planMakeConfEdits,
  type MakeConfDocument,
  type MakeConfEdit,
  type PortageReadOptions,
} from '@xen-gentoo/make-conf';

/** A shell-variable configuration file (make.conf, /etc/conf.d/rc, /etc/rc.conf) as read now. */
export interface ShellConfFile {
  path: string;
  /** null when the file does not exist yet. */
  text: string | null;
  doc: MakeConfDocument;
  /** Every variable as the file's reader sees it after this file. */
  vars: Map<string, string>;
  warnings: string[];
  /** What Portage reads around the file (earlier make.conf files, sourced files). */
  context?: PortageReadOptions;
}

/**
 * Read and parse one shell-variable file (/etc/conf.d/rc, /etc/rc.conf, /etc/genkernel.conf; make.conf
 * is read with everything Portage reads around it by readMakeConfSet). A file Portage (or bash)
 * could not read is bad input: an InputError naming file and line, so nothing is changed.
 */
export async function readShellConf(
  view: View,
  path: string,
  initial?: Record<string, string>,
): Promise<ShellConfFile> {
  if ((await view.stat(path))?.kind === 'directory')
    throw new InputError(path, undefined, 'is a directory', 'a regular file');
  const text = (await view.readFile(path)) ?? null;
  let doc: MakeConfDocument;
  try {
    doc = parseMakeConf(text ?? '', path);
  } catch (error) {
    if (error instanceof MakeConfParseError)
      throw new InputError(error.file, error.line, error.problem, error.expected);
    throw error;
  }
  const issues = checkPortageCompat(doc);
  const fatal = issues.find((issue) => issue.severity === 'error');
  if (fatal) throw new InputError(fatal.file, fatal.line, fatal.message, 'a line Portage can read');
  return {
    path,
    text,
    doc,
    vars: evaluateMakeConf(doc, initial),
    warnings: issues.map((issue) => `${issue.file}:${issue.line}: ${issue.message}`),
  };
}

/** The file change that the edits make, or undefined when they change nothing. */
export function planShellConfEdits(
  file: ShellConfFile,
  edits: MakeConfEdit[],
): { change?: FileChange; notes: string[] } {
  const { text, notes } = planMakeConfEdits(file.doc, edits, file.context);
  if (text === (file.text ?? '')) return { notes };
  return { change: { kind: 'file', path: file.path, before: file.text, after: text }, notes };
}

export function tokens(value: string | undefined): string[] {
  return value ? value.split(/\s+/).filter(Boolean) : [];
}
