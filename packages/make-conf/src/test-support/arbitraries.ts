import fc from 'fast-check';

const NAMES = [
  'USE',
  'FEATURES',
  'CFLAGS',
  'CXXFLAGS',
  'COMMON_FLAGS',
  'FCFLAGS',
  'A_1',
  'LC_MESSAGES',
] as const;
const WORDS = [
  '-O2',
  '-pipe',
  '-Os',
  'nptl',
  'nptlonly',
  'buildpkg',
  '-buildpkg',
  'x86',
  'a.b',
  'c/d',
  '-march=i686',
  'gtk',
  '-*',
];

export const names = fc.constantFrom(...NAMES);
const word = fc.constantFrom(...WORDS);
const ref = names.map((n) => `\${${n}}`);
const item = fc.oneof({ weight: 4, arbitrary: word }, { weight: 1, arbitrary: ref });
/** Separators inside double quotes that bash and Portage read alike. */
const separator = fc.constantFrom(' ', '  ', '\t', ' \\\n\t', '\n  ');

const doubleQuoted = fc
  .tuple(fc.array(fc.tuple(item, separator), { maxLength: 4 }), fc.constantFrom('', ' ', '\n', ' \\\n'))
  .map(([items, tail]) => `"${items.map(([w, s], i) => (i === 0 ? w : s + w)).join('')}${tail}"`);
const singleQuoted = fc.array(word, { maxLength: 3 }).map((ws) => `'${ws.join(' ')}'`);
/** Unquoted words: Portage splits unquoted text at "=", so those stay quoted. */
const bareWord = word.filter((w) => !w.includes('='));
const bare = fc.oneof(
  bareWord,
  ref,
  fc.tuple(bareWord, ref).map(([w, r]) => `${r}/${w}`),
);

/** A value bash and Portage read the same way. */
export const commonValue = fc.oneof(doubleQuoted, singleQuoted, bare);

const trailingComment = fc.constantFrom('', ' # note', '\t# another note');

/** One line (or multi-line statement) in the subset bash and Portage agree on. */
const commonLine = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(fc.boolean(), names, commonValue, trailingComment)
      .map(([e, n, v, c]) => `${e ? 'export ' : ''}${n}=${v}${c}`),
  },
  { weight: 1, arbitrary: fc.constantFrom('# a comment', '#', '   # indented comment') },
  { weight: 1, arbitrary: fc.constantFrom('', '   ', '\t') },
);

/** A whole file in the common subset, with or without a final newline. */
export const commonFile = fc
  .tuple(fc.array(commonLine, { maxLength: 10 }), fc.boolean())
  .map(([lines, finalNewline]) => lines.join('\n') + (finalNewline && lines.length > 0 ? '\n' : ''));

/** Lines bash reads but Portage may not: for round-trip and "never crash" properties. */
const anyLine = fc.oneof(
  commonLine,
  fc.constantFrom(
    'A+=" more"',
    'B=$(uname -m)',
    'C=`date`',
    'D="${E:-x}"',
    '. /etc/other.conf',
    'source /etc/portage/make.conf.d/local',
    'F=( a b )',
    "G='$H'",
    'I=',
    'J=a#b',
    'echo hi; true',
    "K=$'\\n'",
    'L=x\\\ny',
    'M="it\'s $USE"',
  ),
);

export const anyFile = fc
  .tuple(fc.array(anyLine, { maxLength: 10 }), fc.boolean(), fc.boolean())
  .map(([lines, finalNewline, crlf]) => {
    const text = lines.join('\n') + (finalNewline && lines.length > 0 ? '\n' : '');
    return crlf ? text.replace(/\n/g, '\r\n') : text;
  });
