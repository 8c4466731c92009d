import type { View } from '@xen-gentoo/core';
import { detectSystem, type SystemFacts } from '../system.js';

const cache = new WeakMap<View, Promise<SystemFacts>>();

/**
 * The target's system facts, detected once per view. Paths, era, arch and the installed
 * package list do not change while steps are planned; `hasPackage` reads the view live.
 */
export function getSystem(view: View): Promise<SystemFacts> {
  let facts = cache.get(view);
  if (!facts) {
    facts = detectSystem(view);
    cache.set(view, facts);
  }
  return facts;
}
