import { defineStep, type StepPlan } from '@xen-gentoo/core';
import type { Answers } from '../answers/index.js';
import { guestImage } from '../answers/values.js';

export interface DomuPrebuiltFacts {
  guests: { name: string; image: string; named: boolean; kind: string | undefined }[];
}

export const domuPrebuiltStep = defineStep<Answers, DomuPrebuiltFacts>({
  id: 'domu-prebuilt',
  title: 'Use a pre-built OS image for a domU',
  phase: 'Creating DomUs',
  howtoSection: 'Using pre-built OS images',
  async detect({ view, answers }) {
    const guests: DomuPrebuiltFacts['guests'] = [];
    for (const guest of answers.guests.filter((g) => g.route === 'prebuilt'))
      guests.push({
        name: guest.name,
        image: guestImage(guest),
        named: guest.image !== undefined,
        kind: (await view.stat(guestImage(guest)))?.kind,
      });
    return { guests };
  },
  plan(f): StepPlan {
    const gone =
      "the HOWTO's download site (jailtime.org) is gone: bring an image of your own (a raw filesystem image for xvda)";
    if (f.guests.length === 0)
      return { status: 'not-applicable', reason: `no guest with route = prebuilt; ${gone}` };
    const missing = f.guests.filter((g) => g.kind !== 'file');
    if (missing.length)
      return {
        status: 'blocked',
        reason: missing.map((g) => missingImage(g, gone)).join('; '),
      };
    return {
      status: 'done',
      reason: `${f.guests.map((g) => `${g.name}: ${g.image}`).join(', ')} present; domu-config writes the configuration`,
      notes: [gone],
    };
  },
});

/** Why one guest's image is not usable, for the blocked reason. */
function missingImage(g: DomuPrebuiltFacts['guests'][number], gone: string): string {
  if (g.kind !== undefined) return `${g.name}: ${g.image} is not a regular file`;
  const clauses = [`${g.name}: no image at ${g.image}`];
  if (!g.named) clauses[0] += ` (set image in [guest.${g.name}])`;
  clauses.push(gone);
  return clauses.join('; ');
}
