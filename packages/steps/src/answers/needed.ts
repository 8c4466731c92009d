import type { TargetReader } from '@xen-gentoo/core';
import type { GuestAnswers } from './guests.js';
import { guestImage } from './values.js';
import type { Answers } from './index.js';

/** An answer a run needs and does not have, with the step that needs it and what it is for. */
export interface NeededAnswer {
  /** The section, and for a repeating section its NAME: { section: 'guest', name: 'web1' }. */
  section: string;
  name?: string;
  /** The key to set (for a pair of alternatives, the first: root_password_file). */
  key: string;
  /** The step that needs it. */
  step: string;
  /** What is missing, in words: the key and what it is for, or the file or variable it names. */
  why: string;
}

/** What the answers' secrets are read from on this machine (not the target). */
export interface SecretSources {
  /** The environment of the run (root_password_env). */
  env: Readonly<Record<string, string | undefined>>;
  /** Whether a file of this machine can be read (root_password_file). */
  readable(path: string): Promise<boolean>;
}

/**
 * The answers a run needs and lacks: keys that are optional in the schema (many runs do without
 * them) but that what these answers ask for cannot do without, such as the stage tarball and the
 * root password of a guest whose image is still to be built; also a password file or variable
 * that names nothing. An unattended run with any of them stops before changing anything and
 * names them all at once. A guest whose image exists needs none of them.
 */
export async function missingAnswers(
  answers: Answers,
  view: TargetReader,
  secrets: SecretSources,
): Promise<NeededAnswer[]> {
  const missing: NeededAnswer[] = [];
  for (const guest of answers.guests) {
    const at = { section: 'guest', name: guest.name };
    const imageExists = (await view.stat(guestImage(guest))) !== undefined;
    if (guest.route === 'quickpkg' && !imageExists) {
      const step = 'domu-image';
      if (guest.stage === undefined)
        missing.push({
          ...at,
          step,
          key: 'stage',
          why: 'missing: the stage tarball the image is built from',
        });
      missing.push(...(await missingPassword(guest, secrets)).map((m) => ({ ...at, step, ...m })));
    }
    if (guest.route === 'prebuilt' && guest.image === undefined && !imageExists)
      missing.push({
        ...at,
        step: 'domu-prebuilt',
        key: 'image',
        why: `missing: the image file the guest boots from (${guestImage(guest)} is not there)`,
      });
  }
  return missing;
}

async function missingPassword(
  guest: GuestAnswers,
  secrets: SecretSources,
): Promise<{ key: string; why: string }[]> {
  if (guest.root_password_env !== undefined) {
    const value = secrets.env[guest.root_password_env];
    return value === undefined || value === ''
      ? [
          {
            key: 'root_password_env',
            why: `the environment variable ${guest.root_password_env} it names is not set`,
          },
        ]
      : [];
  }
  if (guest.root_password_file !== undefined)
    return (await secrets.readable(guest.root_password_file))
      ? []
      : [{ key: 'root_password_file', why: `the file ${guest.root_password_file} it names cannot be read` }];
  return [
    {
      key: 'root_password_file',
      why: "missing: a file holding the guest's root password (or root_password_env: an environment variable holding it)",
    },
  ];
}
