import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { InputError, UsageError } from '@xen-gentoo/core';
import { domu, GUEST_NAME_EXPECTED, isGuestName, type Answers, type NeededAnswer } from '@xen-gentoo/steps';
import { guestAnswersKeys, guestAnswersSchema } from '@xen-gentoo/steps/answers';
import { expectedOf } from '../../lib/answers-file.js';
import { quoteName } from '../../lib/answers-reading.js';
import Apply from '../apply.js';

/** One flag per [guest.NAME] key (root_password_file → --root-password-file). */
const guestFlags = Object.fromEntries(
  Object.keys(guestAnswersKeys.shape).map((key) => [
    key.replaceAll('_', '-'),
    Flags.string({ summary: `The guest's ${key} (as in a [guest.NAME] section).`, helpGroup: 'GUEST' }),
  ]),
) as Record<string, ReturnType<typeof Flags.string>>;

/** The ids of the guest steps (phase 6). */
export const DOMU_STEP_IDS = domu.DOMU_STEPS.map((s) => s.id);

export default class DomuAdd extends Apply {
  static override summary =
    'Create one guest domain: its image (or domi, or your image), /etc/xen/NAME and autostart.';
  static override description =
    'The guest steps (quickpkg, domu-image, domu-cflags, domu-domi, domu-prebuilt, domu-config, domu-autostart) for one guest given by flags, applied like apply does (plan shown, --yes, --pretend, --skip-commands). Guests of --answers are left out; its other sections still count.';
  static override examples = [
    '<%= config.bin %> domu add web1 --stage /root/stage3-amd64-openrc.tar.xz --root-password-file /root/web1.pw --autostart yes --yes',
    '<%= config.bin %> domu add old --route prebuilt --image /var/xen/old.img -p',
  ];
  static override args = { name: Args.string({ required: true, description: 'The guest name.' }) };
  static override flags = { ...Apply.flags, ...guestFlags };

  protected override async loadAnswers(): Promise<Answers> {
    const answers = await super.loadAnswers();
    const parsedArgs = await this.parse(DomuAdd);
    const given = parsedArgs.args.name;
    if (!isGuestName(given))
      throw new UsageError(`bad guest name ${quoteName(given)}; expected ${GUEST_NAME_EXPECTED}`);
    const raw: Record<string, string> = { name: given };
    const flags = parsedArgs.flags as Record<string, unknown>;
    for (const key of Object.keys(guestAnswersKeys.shape)) {
      const value = flags[key.replaceAll('_', '-')];
      if (typeof value === 'string') raw[key] = value;
    }
    const result = guestAnswersSchema.safeParse(raw);
    if (!result.success) {
      const issue = result.error.issues[0]!;
      const key = String(issue.path[0] ?? 'name');
      throw new UsageError(`bad value for --${key.replaceAll('_', '-')}; expected ${expectedOf(issue)}`);
    }
    this.answers = { ...answers, guests: [result.data] };
    return this.answers;
  }

  /** A missing answer of the guest given by flags: the flag to pass. */
  protected override missingAnswerProblem(m: NeededAnswer): InputError {
    return new InputError('domu add', undefined, `--${m.key.replaceAll('_', '-')}: ${m.why}`);
  }

  protected override checkOnly(only: string[] | undefined): string[] {
    const asked = super.checkOnly(only);
    return asked?.filter((id) => DOMU_STEP_IDS.includes(id)) ?? DOMU_STEP_IDS;
  }
}
