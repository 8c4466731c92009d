import type { AnswersKeyInfo, AnswersSectionInfo, DetectedAnswer } from '@xen-gentoo/steps';

/** Comment lines are wrapped at this width. */
const WIDTH = 100;

/** `text` as `; ` comment lines of at most WIDTH characters (a longer word stays whole). */
function comment(text: string, indent = ''): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line !== '' && indent.length + 2 + line.length + 1 + word.length > WIDTH) {
      lines.push(`; ${indent}${line}`);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(`; ${indent}${line}`);
  return lines;
}

/** A value as an INI line carries it: bare when ini reads it back unchanged, else JSON-quoted. */
export function iniText(value: unknown): string {
  const text = String(value);
  return /^[^\s"';#=[\]\\]([^"';#\\]*[^\s"';#\\])?$/.test(text) || text === '' ? text : JSON.stringify(text);
}

const HEADER = `; xen-gentoo answers file
;
; One [section] per concern, "key = value" lines, ; or # starts a comment. Every key is listed
; below with what it does, the values it takes, its default and the section of the Gentoo wiki's
; "HOWTO Xen and Gentoo" it comes from. A key left commented out takes its default, so this file
; as written changes nothing: uncomment and edit what you want to decide yourself.
;
; Secrets (a guest's root password) are never written here: name a file that holds the secret
; (root_password_file) or an environment variable of the run (root_password_env).
;
; Check a file with:  xen-gentoo answers check FILE
; Use it with:        xen-gentoo apply --answers FILE`;

function keyLines(key: AnswersKeyInfo, detected: DetectedAnswer | undefined): string[] {
  const lines = [''];
  if (key.description) lines.push(...comment(key.description));
  lines.push(...comment(`values: ${key.values}`));
  if (key.required) lines.push('; required: no default');
  else if (key.defaultValue !== undefined) lines.push(`; default: ${iniText(key.defaultValue)}`);
  else lines.push(...comment(`default: unset (${key.unset ?? 'not used'})`));
  if (key.howto) lines.push(`; HOWTO: ${key.howto}`);
  if (detected && key.schema.safeParse(detected.value).success) {
    lines.push(...comment(`found in ${detected.found}`));
    lines.push(`${key.name} = ${iniText(detected.value)}`);
    return lines;
  }
  const example = key.defaultValue ?? key.examples[0] ?? '';
  lines.push(`;${key.name} = ${iniText(example)}`);
  return lines;
}

function sectionLines(section: AnswersSectionInfo, detected: Record<string, DetectedAnswer>): string[] {
  const header = section.named ? `[${section.name}.NAME]` : `[${section.name}]`;
  const lines = ['', `; ${'-'.repeat(WIDTH - 2)}`];
  lines.push(...comment(`${header} ${section.description ?? ''}`));
  if (section.howto) lines.push(`; HOWTO: ${section.howto}`);
  if (section.named) {
    lines.push(
      ...comment(
        `One section per ${section.name}, named [${section.name}.NAME]; NAME: ${section.nameSchema ? describeName(section) : 'a name'}. An example, commented out:`,
      ),
    );
    lines.push(`;[${section.name}.example]`);
    for (const key of section.keys) lines.push(...keyLines(key, undefined));
    return lines;
  }
  lines.push(`[${section.name}]`);
  for (const key of section.keys) lines.push(...keyLines(key, detected[`${section.name}.${key.name}`]));
  return lines;
}

function describeName(section: AnswersSectionInfo): string {
  const result = section.nameSchema!.safeParse('x \'"\\ ../y');
  return result.success ? 'any name' : (result.error.issues[0]?.message ?? 'a name');
}

/**
 * The complete answers file, commented: every section and key of the schema with its
 * description, values, default and HOWTO section. Keys are commented out (they take their
 * defaults) unless detection found a value for them on a target (`--from-root`).
 */
export function renderAnswersTemplate(
  sections: AnswersSectionInfo[],
  options: { detected?: Record<string, DetectedAnswer>; root?: string } = {},
): string {
  const lines = [HEADER];
  if (options.root !== undefined)
    lines.push(';', ...comment(`Values found on the target at ${options.root} are filled in and say where.`));
  for (const section of sections) lines.push(...sectionLines(section, options.detected ?? {}));
  return `${lines.join('\n')}\n`;
}
